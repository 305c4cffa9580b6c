/**
 * `npm run scale`: how kad holds up at scale, as a report. Never fails the
 * build: a kad that is slow, grows or dies is a measured outcome (exit status
 * 0 here whatever kad did; 1 only if the harness itself could not run).
 *
 *   node dist/bench/scale/run-scale.js [--quick] [--stream-packets N] [--offline-packets N]
 *        [--compare-packets N] [--live-seconds S] [--window-s S] [--cap-min M]
 *        [--live-rates R,..] [--live-sources S,..] [--only a,b,c,d] [--json FILE]
 *
 * Sections, in order (the table below): (a) sockets, (b) churn stream through
 * kad watch, (c) kad analyze on a large stream from stdin, (d) live capture.
 * Progress goes to stderr; the report to stdout.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cleanupAll } from './children.js';
import { liveSection, type LiveSource } from './live-section.js';
import { offlineSection } from './offline-section.js';
import { emptySection, machine, renderText, type SectionResult } from './scale-report.js';
import { socketScale } from './socket-scale.js';
import { streamSection } from './stream-section.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ScaleOptions {
  streamPackets: number;
  offlinePackets: number;
  comparePackets: number;
  liveSeconds: number;
  liveStreams: number;
  socketConnections: number;
  liveBufferBytes: number | undefined;
  liveRates: number[];
  liveSources: LiveSource[];
  windowS: number;
  capMs: number;
  only: Set<string> | null;
  json: string | null;
}

/** Full size; --quick are the CI smoke sizes (well under a minute on 2 cores). */
const FULL = {
  streamPackets: 20_000_000,
  offlinePackets: 50_000_000,
  comparePackets: 2_000_000,
  liveSeconds: 10,
  liveRates: [50_000, 100_000, 200_000, 0],
  socketConnections: 100_000,
};
const QUICK = {
  streamPackets: 300_000,
  offlinePackets: 1_000_000,
  comparePackets: 200_000,
  liveSeconds: 2,
  liveRates: [20_000],
  socketConnections: 2_000,
};
const SOURCES: LiveSource[] = ['cap', 'kad-capture', 'tcpdump'];

/** "50k,100k,200k,max" → packets/s (0 = flat out). */
function rates(s: string): number[] {
  return s.split(',').map((x) => {
    if (x === 'max') return 0;
    const v = Number(x.replace(/k$/i, '')) * (/k$/i.test(x) ? 1000 : 1);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--live-rates: "${x}" is not a rate (e.g. 50k, 200000, max)`);
    return v;
  });
}

function parseArgs(argv: string[]): ScaleOptions {
  const o: ScaleOptions = {
    ...FULL,
    liveSources: SOURCES,
    liveBufferBytes: undefined,
    liveStreams: 4,
    windowS: 60,
    capMs: 15 * 60_000,
    only: null,
    json: null,
  };
  const explicit: Partial<ScaleOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--quick') Object.assign(o, QUICK);
    else if (a === '--stream-packets') explicit.streamPackets = num();
    else if (a === '--offline-packets') explicit.offlinePackets = num();
    else if (a === '--compare-packets') explicit.comparePackets = num();
    else if (a === '--live-seconds') explicit.liveSeconds = num();
    else if (a === '--live-streams') explicit.liveStreams = num();
    else if (a === '--live-rates') explicit.liveRates = rates(argv[++i] ?? '');
    else if (a === '--live-sources') {
      const list = (argv[++i] ?? '').split(',');
      const bad = list.find((x) => !SOURCES.includes(x as LiveSource));
      if (bad !== undefined) throw new Error(`--live-sources: "${bad}" is not one of ${SOURCES.join(', ')}`);
      explicit.liveSources = list as LiveSource[];
    } else if (a === '--live-buffer-mb') explicit.liveBufferBytes = num() * 1024 * 1024;
    else if (a === '--socket-connections') explicit.socketConnections = num();
    else if (a === '--window-s') explicit.windowS = num();
    else if (a === '--cap-min') explicit.capMs = num() * 60_000;
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(','));
    else if (a === '--json') o.json = argv[++i] ?? null;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: run-scale [--quick] [--stream-packets N] [--offline-packets N] [--compare-packets N] [--live-seconds S]\n' +
          '                 [--live-streams N] [--live-rates 50k,100k,200k,max] [--live-sources cap,kad-capture,tcpdump]\n' +
          '                 [--live-buffer-mb N] [--window-s S] [--cap-min M] [--only a,b,c,d] [--json FILE]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  // Size flags win over --quick, wherever they stand.
  return Object.assign(o, explicit);
}

interface Section {
  id: string;
  name: string;
  title: string;
  /** Undefined: the slot exists, its code is not in this build. */
  run?: (o: ScaleOptions) => Promise<SectionResult>;
}

/**
 * A section whose code reports through a `log(line)` callback (the sockets
 * section's interface): its lines become the section's notes.
 */
export function logSection(id: string, title: string, body: (log: (line: string) => void) => Promise<void>): () => Promise<SectionResult> {
  return async () => {
    const s = emptySection(id, title);
    await body((line) => {
      s.notes.push(line);
      process.stderr.write(`  [${id}] ${line}\n`);
    });
    s.data = { lines: s.notes };
    return s;
  };
}

const SECTIONS: Section[] = [
  {
    id: 'a',
    name: 'sockets',
    title: 'socket table at scale',
    // Connections, not sockets: each holds two ESTABLISHED sockets in the namespace (100 k → 200 k sockets).
    run: (o) => logSection('a', 'socket table at scale', (log) => socketScale({ connections: o.socketConnections, log }))(),
  },
  {
    id: 'b',
    name: 'stream',
    title: 'churn stream',
    run: (o) => streamSection({ packets: o.streamPackets, windowS: o.windowS, capMs: o.capMs }),
  },
  {
    id: 'c',
    name: 'offline',
    title: 'offline analyze',
    run: (o) => offlineSection({ packets: o.offlinePackets, comparePackets: o.comparePackets, capMs: o.capMs }),
  },
  {
    id: 'd',
    name: 'live',
    title: 'live capture per source and rate',
    run: (o) =>
      liveSection({
        seconds: o.liveSeconds,
        streams: o.liveStreams,
        sources: o.liveSources,
        rates: o.liveRates,
        bufferSize: o.liveBufferBytes,
      }),
  },
];

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const m = machine(ROOT);
  const results: SectionResult[] = [];
  for (const sec of SECTIONS) {
    if (o.only && !o.only.has(sec.id) && !o.only.has(sec.name)) continue;
    const t0 = Date.now();
    process.stderr.write(`scale: (${sec.id}) ${sec.name}…\n`);
    let r: SectionResult;
    if (!sec.run) {
      r = emptySection(sec.id, sec.title);
      r.status = 'not wired';
      r.notes.push('this build has no socket-scale.ts; the section is wired in when the sockets branch is merged');
    } else {
      try {
        r = await sec.run(o);
      } catch (err) {
        r = emptySection(sec.id, sec.title);
        r.status = 'failed';
        r.notes.push(`the harness could not measure this: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    r.data.sectionS = (Date.now() - t0) / 1000;
    process.stderr.write(`scale: (${sec.id}) done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    results.push(r);
  }
  cleanupAll();
  process.stdout.write(`${renderText(m, results)}\n`);
  if (o.json) {
    const sizes = { ...o, only: o.only ? [...o.only] : null };
    writeFileSync(o.json, `${JSON.stringify({ machine: m, options: sizes, sections: results }, null, 2)}\n`);
  }
}

main().catch((err: unknown) => {
  cleanupAll();
  process.stderr.write(`scale: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * Runs the analyzer pipeline in-process on one capture and prints one JSON line
 * (ProbeResult) on stdout. Spawned by run-bench in a fresh process so that the
 * memory reading is not polluted by the bench's own generator buffers, and so
 * that `--expose-gc` can be given.
 *
 *   node [--expose-gc] dist/bench/inproc-probe.js rate|memory FILE
 *
 * The pipeline is loaded by a dynamic import and checked at run time: it is
 * written in parallel with the bench, and a missing or renamed export should
 * make the bench say so rather than fail to build.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FileReport } from '../src/report/analysis-report.js';

export interface ProbeTotals {
  connections: number;
  packets: number;
  keepalives: number;
  keepaliveAcks: number;
  retransmissions: number;
  rsts: number;
  ended: Record<string, number>;
}

export interface ProbeResult {
  ok: boolean;
  error?: string;
  seconds?: number;
  frames?: number;
  tcpPackets?: number;
  connections?: number;
  trackerBytes?: number;
  /** heapUsed + arrayBuffers after − before, with gc() before each reading (memory mode only). */
  heapDeltaBytes?: number;
  rssBytes?: number;
  /** Sums over the FileReport's connections, when the pipeline can build one (rate mode). */
  totals?: ProbeTotals;
  /** Seconds to build the FileReport and to serialise it as the CLI does (rate mode): where the CLI's time goes. */
  reportSeconds?: number;
  stringifySeconds?: number;
}

interface TrackerLike {
  connectionCount: number;
  memoryBytes(): number;
}

type AnalyzeFn = (path: string, opts?: Record<string, unknown>) => Promise<unknown>;

const ANALYZE_MODULE = new URL('../src/analyze/analyze-capture.js', import.meta.url);
const REPORT_MODULE = new URL('../src/report/build-file-report.js', import.meta.url);

function out(r: ProbeResult): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isTracker(v: unknown): v is TrackerLike {
  return typeof v === 'object' && v !== null && typeof (v as TrackerLike).memoryBytes === 'function' &&
    typeof (v as TrackerLike).connectionCount === 'number';
}

function memNow(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    // Two passes: the first can leave weakly-held and finalizable objects for the second.
    g();
    g();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Sums a FileReport's connections, to compare with what the generator wrote. */
function reportTotals(report: Partial<FileReport>): ProbeTotals | undefined {
  const conns = report.connections;
  if (!Array.isArray(conns)) return undefined;
  const t: ProbeTotals = { connections: conns.length, packets: 0, keepalives: 0, keepaliveAcks: 0, retransmissions: 0, rsts: 0, ended: {} };
  for (const c of conns) {
    for (const d of [c.c2s, c.s2c]) {
      t.packets += d.packets;
      t.keepalives += d.keepalives;
      t.keepaliveAcks += d.keepaliveAcks;
      t.retransmissions += d.retransmissions;
      t.rsts += d.rsts;
    }
    t.ended[c.ended.kind] = (t.ended[c.ended.kind] ?? 0) + 1;
  }
  return t;
}

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if ((mode !== 'rate' && mode !== 'memory') || !file) {
    out({ ok: false, error: 'usage: inproc-probe rate|memory FILE' });
    process.exitCode = 2;
    return;
  }
  if (!existsSync(fileURLToPath(ANALYZE_MODULE))) {
    out({ ok: false, error: `${fileURLToPath(ANALYZE_MODULE)} not built yet` });
    return;
  }
  const mod = (await import(ANALYZE_MODULE.href)) as Record<string, unknown>;
  const analyze = mod.analyzeCapture;
  if (typeof analyze !== 'function') {
    out({ ok: false, error: `analyze-capture exports no analyzeCapture(); exports: ${Object.keys(mod).join(', ')}` });
    return;
  }
  const before = mode === 'memory' ? memNow() : 0;
  const t0 = process.hrtime.bigint();
  const analysis = (await (analyze as AnalyzeFn)(file)) as Record<string, unknown>;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const tracker = analysis.tracker;
  const summary = analysis.summary as Record<string, unknown> | undefined;
  const r: ProbeResult = {
    ok: true,
    seconds,
    frames: num(summary?.frames),
    tcpPackets: num(analysis.tcpPackets),
  };
  if (isTracker(tracker)) {
    r.connections = tracker.connectionCount;
    r.trackerBytes = tracker.memoryBytes();
  }
  if (mode === 'memory') {
    r.heapDeltaBytes = memNow() - before;
    r.rssBytes = process.memoryUsage().rss;
  } else {
    try {
      const build = existsSync(fileURLToPath(REPORT_MODULE))
        ? ((await import(REPORT_MODULE.href)) as Record<string, unknown>).buildFileReport
        : undefined;
      if (typeof build === 'function') {
        let t = process.hrtime.bigint();
        const report = (build as (a: unknown) => Partial<FileReport>)(analysis);
        r.reportSeconds = Number(process.hrtime.bigint() - t) / 1e9;
        t = process.hrtime.bigint();
        const json = JSON.stringify({ files: [report] }, null, 2);
        r.stringifySeconds = Number(process.hrtime.bigint() - t) / 1e9;
        if (json.length === 0) r.error = 'empty JSON';
        r.totals = reportTotals(report);
      }
    } catch (err) {
      r.error = `building the report failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  // Keeps the analysis reachable until after the last memory reading.
  if (analysis === null) process.stdout.write('');
  out(r);
}

main().catch((err: unknown) => {
  out({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exitCode = 1;
});

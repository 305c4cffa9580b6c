/**
 * `npm run bench`: throughput of `kad analyze` against tshark and tcpdump on the
 * same synthetic busy-server capture, measured in the same run, and tracker
 * memory per connection with 1 M concurrent connections. Prints, never asserts:
 * the numbers are the deliverable, and a slow machine should not fail a build.
 *
 * Then issue 23's round-robin worst case (bench/round-robin-section.ts): every
 * input format and output mode, CPU and wall medians, targets and ablation.
 *
 *   node dist/bench/run-bench.js [--connections N] [--open-connections N]
 *        [--runs N] [--snaplen N] [--tshark-packets N] [--skip-memory] [--keep]
 *        [--quick] [--round-robin-only] [--peer DIR]
 *
 * --quick: a third of the packets and three rounds, for a first look (~2 min).
 * --peer DIR: a second built checkout whose bin/kad runs in turn with this one (before/after ratios).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeResult } from './inproc-probe.js';
import { generateBusyCapture, type BusyTruth } from './synth-busy.js';
import { generateOpenCapture } from './synth-open.js';
import { runRoundRobinSection } from './round-robin-section.js';
import { warmCache } from './cpu-timing.js';
import { maxOf } from '../src/util/extremes.js';
import { have, kadNodeOptions, ROOT } from './bench-tools.js';

const KAD = join(ROOT, 'bin', 'kad');
const PROBE = fileURLToPath(new URL('./inproc-probe.js', import.meta.url));
const TARGET_PPS = 3_000_000;
/** Issue 23's budget for the tracker's memory per connection at 1 M concurrent connections. */
const TARGET_BYTES_PER_CONN = 200;

interface Options {
  connections: number;
  openConnections: number;
  runs: number;
  snaplen: number;
  tsharkPackets: number;
  skipMemory: boolean;
  keep: boolean;
  quick: boolean;
  roundRobinOnly: boolean;
  peer: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    // ~30 packets per connection on average: 120 k connections give about 3.3 M packets.
    connections: 120_000,
    openConnections: 1_000_000,
    runs: 3,
    // Header-only capture (`tcpdump -s 128`), the usual way to record a busy server for hours.
    snaplen: 128,
    tsharkPackets: 500_000,
    skipMemory: false,
    keep: false,
    quick: false,
    roundRobinOnly: false,
    peer: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const intArg = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--connections') o.connections = intArg();
    else if (a === '--open-connections') o.openConnections = intArg();
    else if (a === '--runs') o.runs = intArg();
    else if (a === '--snaplen') o.snaplen = intArg();
    else if (a === '--tshark-packets') o.tsharkPackets = intArg();
    else if (a === '--skip-memory') o.skipMemory = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--quick') {
      o.quick = true;
      o.connections = 40_000;
      o.runs = 1;
      o.skipMemory = true;
    } else if (a === '--round-robin-only') o.roundRobinOnly = true;
    else if (a === '--peer') {
      const dir = argv[++i];
      if (!dir) throw new Error('--peer needs a directory');
      o.peer = dir;
    } else if (a === '--help' || a === '-h') {
      console.log(
        'usage: node dist/bench/run-bench.js [--connections N] [--open-connections N] [--runs N] [--snaplen N] [--tshark-packets N] [--skip-memory] [--keep] [--quick] [--round-robin-only] [--peer DIR]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface RunResult {
  seconds: number;
  code: number | null;
  signal: string | null;
  stderr: string;
  /** Newlines on stdout, when stdout was counted rather than discarded. */
  lines: number;
}

/**
 * Wall-clock of a whole child process (start-up included, as a user sees it).
 * stdout goes to /dev/null, or is counted when `count` (cheap next to the tools timed).
 */
function timeProcess(cmd: string, args: string[], count = false): Promise<RunResult> {
  return new Promise((resolve) => {
    const devnull = count ? null : openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', devnull ?? 'pipe', 'pipe'], cwd: ROOT });
    let lines = 0;
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
    });
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 4000) stderr += b.toString();
    });
    const done = (code: number | null, signal: string | null): void => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (devnull !== null) closeSync(devnull);
      resolve({ seconds, code, signal, stderr, lines });
    };
    child.on('error', (err) => {
      stderr += String(err.message);
      done(-1, null);
    });
    child.on('close', done);
  });
}

/** Best of `runs` timed runs of a command that reads `file`, each from a warm page cache. */
async function bestOf(runs: number, file: string, cmd: string, args: string[]): Promise<RunResult> {
  let best: RunResult | null = null;
  for (let i = 0; i < runs; i++) {
    warmCache(file);
    const r = await timeProcess(cmd, args);
    if (r.code !== 0) return r;
    if (!best || r.seconds < best.seconds) best = r;
  }
  return best!;
}

async function probe(mode: 'rate' | 'memory', file: string): Promise<ProbeResult> {
  const args = [...kadNodeOptions(), ...(mode === 'memory' ? ['--expose-gc', PROBE, mode, file] : [PROBE, mode, file])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as ProbeResult);
      } catch {
        resolve({ ok: false, error: `probe exited ${code ?? signal}: ${firstLine(stderr) || last || 'no output'}` });
      }
    });
  });
}

function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .find((l) => l.trim() !== '' && !l.includes('Running as user "root"'))
      ?.trim() ?? ''
  );
}

/** Copies the first `bytes` bytes: the generator knows where frame N ends, so no editcap pass over the whole file. */
function writePrefix(src: string, dst: string, bytes: number): void {
  const buf = Buffer.allocUnsafe(Math.min(bytes, 64 << 20));
  const fi = openSync(src, 'r');
  const fo = openSync(dst, 'w');
  let done = 0;
  while (done < bytes) {
    const n = readSync(fi, buf, 0, Math.min(buf.length, bytes - done), done);
    if (n <= 0) break;
    let w = 0;
    while (w < n) w += writeSync(fo, buf, w, n - w);
    done += n;
  }
  closeSync(fi);
  closeSync(fo);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtRate = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));
const fmtMB = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

interface Row {
  tool: string;
  packets: number;
  seconds: number;
  note: string;
}

function printTable(rows: Row[], kadPps: number | null): void {
  const header = ['tool', 'packets', 'seconds', 'packets/s', 'vs kad', 'note'];
  const body = rows.map((r) => {
    const pps = r.packets / r.seconds;
    return [
      r.tool,
      fmtInt(r.packets),
      r.seconds.toFixed(3),
      fmtRate(pps),
      kadPps ? `${(pps / kadPps).toFixed(pps / kadPps < 0.1 ? 4 : 2)}x` : '-',
      r.note,
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(
      h.length,
      maxOf(body, (b) => b[i]?.length ?? 0, 0),
    ),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

function printTruth(t: BusyTruth): void {
  const k = t.kinds;
  console.log(
    `  ${fmtInt(t.packets)} packets, ${fmtInt(t.connections)} connections (${fmtInt(t.ipv6Connections)} IPv6), ` +
      `${fmtMB(t.bytes)}, ${t.seconds.toFixed(0)} s of capture time`,
  );
  console.log(
    `  kinds: syn ${fmtInt(k.syn)}, synack ${fmtInt(k.synack)}, data ${fmtInt(k.data)}, ack ${fmtInt(k.ack)}, ` +
      `keepalive ${fmtInt(k.keepalive)}, keepalive_ack ${fmtInt(k.keepalive_ack)}, retransmission ${fmtInt(k.retransmission)}, ` +
      `fin ${fmtInt(k.fin)}, rst ${fmtInt(k.rst)}`,
  );
  console.log(`  ended: fin ${fmtInt(t.ended.fin)}, reset ${fmtInt(t.ended.reset)}, still open ${fmtInt(t.ended.open)}`);
}

function check(label: string, got: number | undefined, want: number): string {
  if (got === undefined) return `${label} ?`;
  return `${label} ${fmtInt(got)}${got === want ? ' (=)' : ` (generator: ${fmtInt(want)})`}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const tBench = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'kad-bench-'));
  const cleanup = (): void => {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    // 1-minute load average ([0, 0, 0] where the platform has none).
    const load = loadavg()[0] ?? 0;
    const cpus = availableParallelism();
    console.log(
      `keepalive-doctor bench (node ${process.version}, ${process.platform}/${process.arch}, ${cpus} CPUs, load average ${load.toFixed(2)})`,
    );
    // Timings on a machine that is already busy are not comparable from run to run: say so up front.
    if (load > cpus * 0.5)
      console.log(`warning: the machine is busy (load ${load.toFixed(2)} on ${cpus} CPUs); rates below will be low and noisy`);
    console.log(`temp dir: ${dir}${o.keep ? ' (kept)' : ' (deleted at the end)'}`);

    if (!o.roundRobinOnly) {
      // --- 1. busy-server capture ---
      const file = join(dir, 'busy.pcap');
      let t0 = Date.now();
      const truth = generateBusyCapture(file, {
        connections: o.connections,
        seed: 20240601,
        snaplen: o.snaplen,
        prefixFrames: o.tsharkPackets,
      });
      console.log(`\nGenerated ${file} in ${((Date.now() - t0) / 1000).toFixed(2)} s (classic pcap, Ethernet, snaplen ${o.snaplen}):`);
      printTruth(truth);
      const prefixFile = join(dir, 'busy-prefix.pcap');
      writePrefix(file, prefixFile, truth.prefix.bytes);
      const prefixPackets = truth.prefix.frames;

      const rows: Row[] = [];
      let kadPps: number | null = null;

      // --- 2. kad, as a user runs it ---
      console.log(
        `\nTiming (wall clock of the whole process, best of ${o.runs} where repeated; each run starts with the capture in the page cache)...`,
      );
      const kad = await bestOf(o.runs, file, KAD, ['analyze', file]);
      if (kad.code === 0) {
        kadPps = truth.packets / kad.seconds;
        rows.push({
          tool: 'kad analyze',
          packets: truth.packets,
          seconds: kad.seconds,
          note: `bin/kad analyze FILE > /dev/null (as the README runs it: the report a user reads), best of ${o.runs}`,
        });
      } else {
        console.log(`  kad analyze failed (exit ${kad.code ?? kad.signal}): ${firstLine(kad.stderr)}`);
      }
      const kadJson = await bestOf(Math.min(o.runs, 2), file, KAD, ['analyze', file, '--json']);
      if (kadJson.code === 0) {
        rows.push({
          tool: 'kad analyze --json',
          packets: truth.packets,
          seconds: kadJson.seconds,
          note: `every connection as JSON (a ${fmtInt(truth.connections)}-connection document), best of ${Math.min(o.runs, 2)}`,
        });
      } else {
        console.log(`  kad analyze --json failed (exit ${kadJson.code ?? kadJson.signal}): ${firstLine(kadJson.stderr)}`);
      }
      warmCache(prefixFile);
      const kadPrefix = await timeProcess(KAD, ['analyze', prefixFile]);
      if (kadPrefix.code === 0) {
        rows.push({
          tool: 'kad analyze',
          packets: prefixPackets,
          seconds: kadPrefix.seconds,
          note: `same, on the ${fmtInt(prefixPackets)}-packet prefix tshark gets (start-up cost shows), one run`,
        });
      }

      // --- 3. kad in-process: the pipeline without node start-up, report building and JSON output ---
      let rate: ProbeResult = { ok: false, error: 'not run' };
      for (let i = 0; i < Math.min(o.runs, 2); i++) {
        warmCache(file);
        const r = await probe('rate', file);
        if (!r.ok || !r.seconds) {
          rate = r;
          break;
        }
        if (!rate.ok || r.seconds < rate.seconds!) rate = r;
      }
      if (rate.ok && rate.seconds) {
        const pk = rate.tcpPackets ?? rate.frames ?? truth.packets;
        rows.push({
          tool: 'kad in-process',
          packets: pk,
          seconds: rate.seconds,
          note: `analyzeCapture() only (read+decode+track, no start-up or report), best of ${Math.min(o.runs, 2)}`,
        });
      } else {
        console.log(`  in-process rate not measured: ${rate.error}`);
      }

      // --- 4. tshark keepalive filter, on a prefix ---
      let tsharkLines: number | null = null;
      if (have('tshark')) {
        warmCache(prefixFile);
        const r = await timeProcess('tshark', ['-n', '-r', prefixFile, '-Y', 'tcp.analysis.keep_alive'], true);
        if (r.code === 0) {
          tsharkLines = r.lines;
          rows.push({
            tool: 'tshark -Y tcp.analysis.keep_alive',
            packets: prefixPackets,
            seconds: r.seconds,
            note: `first ${fmtInt(prefixPackets)} packets only (tshark is slow; prefix cut at the record boundary, like editcap -r FILE OUT 1-${prefixPackets}), one run`,
          });
        } else console.log(`  tshark failed (exit ${r.code ?? r.signal}): ${firstLine(r.stderr)}`);
      } else console.log('  tshark not installed: skipped');

      // --- 5. libpcap read floor ---
      if (have('tcpdump')) {
        const r = await bestOf(o.runs, file, 'tcpdump', ['-r', file, '-w', '/dev/null']);
        if (r.code === 0)
          rows.push({
            tool: 'tcpdump -r FILE -w /dev/null',
            packets: truth.packets,
            seconds: r.seconds,
            note: `libpcap read floor, best of ${o.runs}`,
          });
        else console.log(`  tcpdump failed (exit ${r.code ?? r.signal}): ${firstLine(r.stderr)}`);
      } else console.log('  tcpdump not installed: skipped');

      console.log('');
      printTable(rows, kadPps);
      console.log('\n"vs kad" = packets/s of the row ÷ packets/s of `kad analyze` on the full file.');

      const inproc = rate.ok && rate.seconds ? (rate.tcpPackets ?? truth.packets) / rate.seconds : null;
      console.log(`\nTarget: kad >= ${fmtRate(TARGET_PPS)} packets/s on this machine.`);
      console.log(
        `  kad analyze (whole process):  ${kadPps ? `${fmtRate(kadPps)} packets/s -> ${kadPps >= TARGET_PPS ? 'MET' : 'NOT MET'}` : 'not measured'}`,
      );
      console.log(
        `  kad in-process pipeline:      ${inproc ? `${fmtRate(inproc)} packets/s -> ${inproc >= TARGET_PPS ? 'MET' : 'NOT MET'}` : 'not measured'}`,
      );
      if (rate.diagnoseSeconds !== undefined && rate.reportSeconds !== undefined && rate.renderSeconds !== undefined) {
        console.log(
          `  after the pass (in-process, as kad analyze does it): diagnosis ${rate.diagnoseSeconds.toFixed(3)} s, ` +
            `report ${rate.reportSeconds.toFixed(3)} s, text ${rate.renderSeconds.toFixed(3)} s; the rest of the CLI's time is node start-up, GC and exit`,
        );
      }

      // --- cross-checks: the timings mean little if the analyzers disagree with what was written ---
      console.log('\nCross-checks against the generator:');
      if (tsharkLines !== null) {
        console.log(
          `  tshark keepalives in the prefix: ${fmtInt(tsharkLines)}` +
            (tsharkLines === truth.prefix.keepalives ? ' (= generator)' : ` (generator wrote ${fmtInt(truth.prefix.keepalives)})`),
        );
      }
      if (rate.ok) {
        console.log(
          `  kad: ${[check('TCP packets', rate.tcpPackets, truth.packets), check('connections', rate.connections, truth.connections)].join(
            ', ',
          )}`,
        );
        if (rate.totals) {
          const tt = rate.totals;
          console.log(
            `  kad report: ${[
              check('packets', tt.packets, truth.packets),
              check('keepalives', tt.keepalives, truth.kinds.keepalive),
              check('keepalive ACKs', tt.keepaliveAcks, truth.kinds.keepalive_ack),
              check('retransmissions', tt.retransmissions, truth.kinds.retransmission),
              check('RSTs', tt.rsts, truth.kinds.rst),
            ].join(', ')}`,
          );
          console.log(
            `  kad ended: ${Object.entries(tt.ended)
              .map(([k, v]) => `${k} ${fmtInt(v)}`)
              .join(', ')} ` +
              `(generator: fin ${fmtInt(truth.ended.fin)}, reset ${fmtInt(truth.ended.reset)}, open ${fmtInt(truth.ended.open)})`,
          );
        }
      }
      rmSync(prefixFile, { force: true });
      if (!o.keep) rmSync(file, { force: true });

      // --- 6. memory with 1 M concurrent connections ---
      if (!o.skipMemory) {
        const openFile = join(dir, 'open.pcap');
        t0 = Date.now();
        const ot = generateOpenCapture(openFile, o.openConnections, 7, o.snaplen);
        console.log(
          `\nMemory: generated ${fmtInt(ot.connections)} connections that never close ` +
            `(${fmtInt(ot.packets)} packets, ${fmtMB(ot.bytes)}) in ${((Date.now() - t0) / 1000).toFixed(2)} s`,
        );
        const m = await probe('memory', openFile);
        if (!o.keep) rmSync(openFile, { force: true });
        if (!m.ok) {
          console.log(`  not measured: ${m.error}`);
        } else {
          const conns = m.connections ?? ot.connections;
          console.log(
            `  analyzed in ${m.seconds?.toFixed(2)} s; tracker holds ${m.connections === undefined ? '?' : fmtInt(m.connections)} connections` +
              (m.connections === ot.connections ? ' (= generator)' : ` (generator: ${fmtInt(ot.connections)})`),
          );
          const perTracker = m.trackerBytes !== undefined && m.connections ? m.trackerBytes / m.connections : null;
          const perHeap = m.heapDeltaBytes !== undefined ? m.heapDeltaBytes / conns : null;
          console.log(
            `  tracker.memoryBytes() / connectionCount:                 ${perTracker === null ? 'n/a' : `${perTracker.toFixed(1)} bytes/connection (${fmtMB(m.trackerBytes!)})`}`,
          );
          console.log(
            `  (heapUsed + arrayBuffers + WebAssembly memory) delta / connections, after gc: ${perHeap === null ? 'n/a' : `${perHeap.toFixed(1)} bytes/connection (${fmtMB(m.heapDeltaBytes!)})`}`,
          );
          if (m.rssBytes) console.log(`  process RSS at the end: ${fmtMB(m.rssBytes)}`);
          const worst = Math.max(perTracker ?? 0, perHeap ?? 0);
          console.log(
            `Target: <= ${TARGET_BYTES_PER_CONN} bytes/connection -> ` +
              `tracker accounting ${perTracker === null ? 'n/a' : perTracker <= TARGET_BYTES_PER_CONN ? 'MET' : 'NOT MET'}, ` +
              `process heap ${perHeap === null ? 'n/a' : perHeap <= TARGET_BYTES_PER_CONN ? 'MET' : 'NOT MET'}` +
              (worst > 0 ? ` (worst ${worst.toFixed(1)})` : ''),
          );
        }
      }
    }
    // --- 7. issue 23: the round-robin worst case, every format and output mode ---
    await runRoundRobinSection(dir, {
      connections: 100_000,
      rounds: o.quick ? 10 : 30,
      runs: o.quick ? 3 : 5,
      snaplen: o.snaplen,
      tsharkPackets: o.quick ? 100_000 : 300_000,
      peer: o.peer,
    });
  } finally {
    cleanup();
  }
  console.log(`\nbench finished in ${((Date.now() - tBench) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

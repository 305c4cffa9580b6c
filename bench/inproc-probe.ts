/**
 * Runs the analyzer pipeline in-process on one capture and prints one JSON line
 * (ProbeResult) on stdout. Spawned by run-bench in a fresh process so that the
 * memory reading is not polluted by the bench's own generator buffers, and so
 * that `--expose-gc` can be given.
 *
 *   node [--expose-gc] dist/bench/inproc-probe.js rate|memory FILE
 */
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import type { FileReport } from '../src/model/analysis-report.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { makeStyle } from '../src/render/style.js';
import { MAX_LISTED, renderFileReport } from '../src/render/text-report.js';

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
  /**
   * heapUsed + arrayBuffers + the tracker's WebAssembly memory, after − before, with gc() before
   * each reading (memory mode only): Node counts WebAssembly memory in neither.
   */
  heapDeltaBytes?: number;
  rssBytes?: number;
  /** Sums over the FileReport's connections (rate mode), to compare with what the generator wrote. */
  totals?: ProbeTotals;
  /** Seconds of the steps after the pass that the terminal report takes (rate mode): where the CLI's time goes. */
  diagnoseSeconds?: number;
  reportSeconds?: number;
  renderSeconds?: number;
}

function out(r: ProbeResult): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
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
function reportTotals(report: FileReport): ProbeTotals {
  const t: ProbeTotals = {
    connections: report.connections.length,
    packets: 0,
    keepalives: 0,
    keepaliveAcks: 0,
    retransmissions: 0,
    rsts: 0,
    ended: {},
  };
  for (const c of report.connections) {
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

const since = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if ((mode !== 'rate' && mode !== 'memory') || !file) {
    out({ ok: false, error: 'usage: inproc-probe rate|memory FILE' });
    process.exitCode = 2;
    return;
  }
  const before = mode === 'memory' ? memNow() : 0;
  let t = process.hrtime.bigint();
  const analysis = await analyzeCapture(file);
  const r: ProbeResult = {
    ok: true,
    seconds: since(t),
    frames: analysis.summary?.frames,
    tcpPackets: analysis.tcpPackets,
    connections: analysis.tracker.connectionCount,
    trackerBytes: analysis.tracker.memoryBytes(),
  };
  if (mode === 'memory') {
    r.heapDeltaBytes = memNow() + analysis.tracker.passMemoryBytes() - before;
    r.rssBytes = process.memoryUsage().rss;
  } else {
    // The terminal report's steps, as `kad analyze FILE` takes them.
    t = process.hrtime.bigint();
    const diagnosis = diagnoseCapture(analysis, undefined, { explain: false });
    r.diagnoseSeconds = since(t);
    t = process.hrtime.bigint();
    const listed = buildFileReport(analysis, {}, diagnosis, MAX_LISTED);
    r.reportSeconds = since(t);
    t = process.hrtime.bigint();
    if (renderFileReport(listed, makeStyle(false)).length === 0) r.error = 'empty report';
    r.renderSeconds = since(t);
    r.totals = reportTotals(buildFileReport(analysis, {}, diagnosis));
  }
  out(r);
}

main().catch((err: unknown) => {
  out({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exitCode = 1;
});

/**
 * Bench-only entry point: runs the analyze pipeline on one capture up to a
 * given stage and stops there, printing one JSON line with the CPU and wall
 * seconds spent after start-up. The stage before tells how much of that each
 * stage adds (run-bench takes the differences).
 *
 *   node dist/bench/ablation-probe.js STAGE FILE
 *
 * Stages, each including the ones before:
 *   read     the file into one reused 1 MiB buffer, nothing else
 *   frame    + pcap records walked in JavaScript, a no-op per record
 *   decode   + each frame decoded in WebAssembly (one call per frame from JS)
 *   track    the real pass: framing, decoding, flow lookup, per-connection
 *            bookkeeping and the event log, all inside one WebAssembly walk
 *   diagnose + verdicts for every connection
 *   report   + the report of the connections the terminal lists
 *   output   + the terminal text
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { readCapture } from '../src/capture/read-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { makeStyle } from '../src/render/style.js';
import { MAX_LISTED, renderFileReport } from '../src/render/text-report.js';
import { instantiatePass } from '../src/track/wasm-pass.js';

import { STAGES, type Stage, type StageResult } from './ablation-stages.js';

function readOnly(file: string): number {
  const buf = Buffer.allocUnsafeSlow(1 << 20);
  const fd = openSync(file, 'r');
  let bytes = 0;
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) bytes += n;
  closeSync(fd);
  return bytes;
}

/** Frames walked in JS; with `decode`, each decoded by the tracker's WebAssembly decoder in its own memory (no copy). */
async function frames(file: string, decode: boolean): Promise<number> {
  const { exports: x, memory } = instantiatePass(1024, 1 << 20);
  let chunk: Buffer | null = null;
  let packets = 0;
  await readCapture(
    file,
    (rec) => {
      packets++;
      if (decode && rec.buf === chunk) x.decode(rec.buf.byteOffset + rec.offset, rec.capLen, rec.origLen, rec.linkType);
    },
    {
      chunkBuffer: (size) => {
        if (size > x.chunkSize()) return null;
        chunk = Buffer.from(memory.buffer, x.chunkAddress(), size);
        return chunk;
      },
    },
  );
  return packets;
}

async function runStage(stage: Stage, file: string): Promise<number> {
  if (stage === 'read') return readOnly(file);
  if (stage === 'frame' || stage === 'decode') return frames(file, stage === 'decode');
  const analysis = await analyzeCapture(file);
  if (stage === 'track') return analysis.tcpPackets;
  const diagnosis = diagnoseCapture(analysis, undefined, { explain: false });
  if (stage === 'diagnose') return analysis.tcpPackets;
  const report = buildFileReport(analysis, {}, diagnosis, MAX_LISTED);
  if (stage === 'report') return analysis.tcpPackets;
  if (renderFileReport(report, makeStyle(false)).length === 0) throw new Error('empty report');
  return analysis.tcpPackets;
}

async function main(): Promise<void> {
  const [stage, file] = process.argv.slice(2);
  if (!STAGES.includes(stage as Stage) || !file) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: `usage: ablation-probe ${STAGES.join('|')} FILE` })}\n`);
    process.exitCode = 2;
    return;
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const packets = await runStage(stage as Stage, file);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  const r: StageResult = { ok: true, cpu: (c.user + c.system) / 1e6, wall, packets };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exitCode = 1;
});

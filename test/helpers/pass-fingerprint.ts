import { readFileSync } from 'node:fs';
import { CapturePipeline, type CaptureAnalysis } from '../../src/analyze/analyze-capture.js';
import { readCapture, readCaptureBuffer } from '../../src/capture/read-capture.js';
import { diagnoseCapture } from '../../src/diagnose/diagnose-capture.js';
import { buildFileReport } from '../../src/report/build-file-report.js';

// The ways frames reach the WebAssembly tracker, for tests that hold them
// against each other: runs walked inside it (plain `kad analyze`), one call
// per frame from a chunk in its memory (--events), one call per frame copied in.

/** Everything a report is made of, and the tracker's raw state, as plain data. */
export function fingerprint(a: CaptureAnalysis): unknown {
  const t = a.tracker;
  const report = buildFileReport(a, {}, diagnoseCapture(a));
  const log = t.events;
  const s = t.store;
  return {
    report: { ...report, file: '' },
    summary: a.summary,
    frames: a.frames,
    tcpPackets: a.tcpPackets,
    statusCounts: [...a.statusCounts],
    unknownLinkTypes: [...a.unknownLinkTypes],
    last: [a.lastFrameSec, a.lastFrameNsec],
    events: Buffer.from(log.recordBytes()).toString('base64'),
    records: Buffer.from(s.recordBytes()).toString('base64'),
    resets: t.resets,
  };
}

/** One call per frame, from the tracker's chunk (an onTcpPacket consumer turns runs off). */
export async function viaPerPacket(file: string, chunkSize?: number): Promise<CaptureAnalysis> {
  const p = new CapturePipeline(file, { onTcpPacket: () => undefined });
  const summary = await readCapture(file, p.onPacket, { ...p.readOptions(), chunkSize });
  return p.analysis(summary);
}

/** Runs where the format allows them, in chunks of `chunkSize`. */
export async function viaRuns(file: string, chunkSize?: number): Promise<CaptureAnalysis> {
  const p = new CapturePipeline(file);
  const summary = await readCapture(file, p.onPacket, { ...p.readOptions(), chunkSize });
  return p.analysis(summary);
}

/** One call per frame, each copied into the tracker. */
export function viaCopies(file: string): CaptureAnalysis {
  const p = new CapturePipeline(file);
  const summary = readCaptureBuffer(readFileSync(file), p.onPacket);
  return p.analysis(summary);
}

/**
 * The worker thread of robustness-malformed.test.ts's in-process sweep. For
 * each damaged capture: write it to one scratch file, analyse it, build and
 * render its report and its event lines, as `kad analyze` would. It reports
 * progress before every case, so the test can tell a hang from slow work and
 * terminate the worker.
 *
 * The stages are imported statically: if one moves or changes its signature,
 * this fails to compile rather than leaving part of the pipeline unexercised.
 */
import { writeFileSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { analyzeCapture, type TrackedPacketHandler } from '../../src/analyze/analyze-capture.js';
import { CaptureError } from '../../src/capture/capture-error.js';
import { packetEvent } from '../../src/render/event-lines.js';
import { makeStyle } from '../../src/render/style.js';
import { renderFileReport } from '../../src/render/text-report.js';
import { buildFileReport } from '../../src/report/build-file-report.js';
import { itemAt } from './checked.js';

export interface SweepWorkerData {
  /** The file each case is written to in turn. */
  scratch: string;
  cases: Array<{ bytes: Uint8Array }>;
}

export type SweepMessage =
  { type: 'start'; i: number } | { type: 'fail'; i: number; problem: string } | { type: 'fatal'; problem: string } | { type: 'done' };

/** What is wrong with the pipeline's handling of one capture, or null. */
async function problemWith(scratch: string): Promise<string | null> {
  // The events are serialised, as --events does, so a value JSON cannot hold (a BigInt, a cycle) fails here.
  const onTcpPacket: TrackedPacketHandler = (tracker, pkt, rec, kind) => void JSON.stringify(packetEvent(tracker, pkt, rec, kind));
  try {
    const a = await analyzeCapture(scratch, { displayName: scratch, onTcpPacket });
    let problem: string | null = null;
    if (a.error && !(a.error instanceof CaptureError)) problem = `error is not a CaptureError: ${String(a.error)}`;
    if (a.error && !a.error.message.includes(scratch)) problem = `error does not name the file: ${a.error.message}`;
    // What was read before the error is still reported, so the report must survive it too.
    const report = buildFileReport(a, {});
    JSON.stringify(report);
    renderFileReport(report, makeStyle(false));
    return problem;
  } catch (e) {
    // A CaptureError here breaks the contract (analyzeCapture returns it) but is still a clean error.
    if (e instanceof CaptureError) return null;
    return `threw: ${e instanceof Error && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : String(e)}`;
  }
}

async function sweep(port: MessagePort, data: SweepWorkerData): Promise<void> {
  const post = (m: SweepMessage): void => port.postMessage(m);
  try {
    for (let i = 0; i < data.cases.length; i++) {
      post({ type: 'start', i });
      writeFileSync(data.scratch, itemAt(data.cases, i, 'case').bytes);
      const problem = await problemWith(data.scratch);
      if (problem) post({ type: 'fail', i, problem });
    }
    post({ type: 'done' });
  } catch (e) {
    post({ type: 'fatal', problem: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}

if (parentPort) void sweep(parentPort, workerData as SweepWorkerData);

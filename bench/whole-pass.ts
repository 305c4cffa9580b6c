import { analyzeCapture, type CaptureAnalysis } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { makeStyle } from '../src/render/style.js';
import { MAX_LISTED, renderFileReport } from '../src/render/text-report.js';

/** Where the pass may stop: after tracking, diagnosis, the listed report, or its text. */
export type PassEnd = 'track' | 'diagnose' | 'report' | 'output';

/** `kad analyze FILE`'s work, in-process and up to `end`: what the bench's probes time. */
export async function wholePass(file: string, end: PassEnd = 'output'): Promise<CaptureAnalysis> {
  const analysis = await analyzeCapture(file);
  if (end === 'track') return analysis;
  const diagnosis = diagnoseCapture(analysis, undefined, { explain: false });
  if (end === 'diagnose') return analysis;
  const report = buildFileReport(analysis, {}, diagnosis, MAX_LISTED);
  if (end === 'report') return analysis;
  if (renderFileReport(report, makeStyle(false)).length === 0) throw new Error('empty report');
  return analysis;
}

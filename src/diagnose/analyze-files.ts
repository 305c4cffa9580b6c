import type { CaptureComparison, Evidence } from '../model/analysis-report.js';
import { diagnoseCapture, type CaptureDiagnosis, type CrossEvidence } from './diagnose-capture.js';
import { compareCaptures } from './two-sided.js';
import { describeSkipped, skippedCounts } from '../analyze/skipped-counts.js';
import { analyzeCapture, type AnalyzeOptions, type CaptureAnalysis, type Evictor } from '../analyze/analyze-capture.js';
import type { EventLineSpec } from '../track/event-line-out.js';

export interface FilesAnalysis {
  analyses: CaptureAnalysis[];
  /** One per analysis, or empty when diagnosis was not asked for. */
  diagnoses: CaptureDiagnosis[];
  comparisons: CaptureComparison[];
  /** One line per capture that could not be read (fully), or held no TCP. */
  problems: string[];
}

function skippedText(a: CaptureAnalysis): string {
  const parts = describeSkipped(skippedCounts(a));
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * Read every capture, then let captures of the same traffic testify about
 * each other (two-sided analysis) and diagnose each with that evidence.
 */
export async function analyzeFiles(
  files: string[],
  opts: {
    diagnose: boolean;
    /** Word every verdict (default); false when a report will word only the connections it lists. */
    explain?: boolean;
    /** The --events lines of each capture, written in WebAssembly (see AnalyzeOptions.eventLines). */
    eventLines?: (file: string) => EventLineSpec | undefined;
    /** Which packets get a line (see AnalyzeOptions.keepEventLine). */
    keepEventLine?: AnalyzeOptions['keepEventLine'];
    /** Bounds the memory of a single capture's analysis (see Evictor). */
    evictor?: Evictor;
  },
): Promise<FilesAnalysis> {
  const analyses: CaptureAnalysis[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const name = file === '-' ? 'stdin' : file;
    const analysis = await analyzeCapture(file, {
      displayName: name,
      eventLines: opts.eventLines?.(name),
      keepEventLine: opts.keepEventLine,
      evictor: opts.evictor,
    });
    if (analysis.error && analysis.frames === 0) {
      problems.push(analysis.error.message);
      continue;
    }
    if (analysis.error) problems.push(analysis.error.message);
    else if (analysis.tcpPackets === 0) problems.push(`${name}: no TCP packets among ${analysis.frames} frames${skippedText(analysis)}`);
    analyses.push(analysis);
  }
  if (!opts.diagnose) return { analyses, diagnoses: [], comparisons: [], problems };

  const comparisons: CaptureComparison[] = [];
  const cross = analyses.map((): CrossEvidence => ({ resets: new Map(), silentDrops: new Map() }));
  for (let i = 0; i < analyses.length; i++) {
    for (let j = i + 1; j < analyses.length; j++) {
      const two = compareCaptures(analyses[i]!, analyses[j]!);
      if (two.comparison.matched.length === 0) continue;
      comparisons.push(two.comparison);
      merge(cross[i]!, two.cross[0]);
      merge(cross[j]!, two.cross[1]);
    }
  }
  return { analyses, diagnoses: analyses.map((a, i) => diagnoseCapture(a, cross[i], { explain: opts.explain })), comparisons, problems };
}

function merge(into: CrossEvidence, from: CrossEvidence): void {
  for (const [frame, list] of from.resets) into.resets.set(frame, [...(into.resets.get(frame) ?? []), ...list] as Evidence[]);
  for (const [conn, v] of from.silentDrops) into.silentDrops.set(conn, v);
}

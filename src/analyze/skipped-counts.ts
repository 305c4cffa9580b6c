import { IP_FRAGMENT, MALFORMED, NOT_IP, NOT_TCP, TRUNCATED, UNKNOWN_LINK } from '../decode/decode-status.js';
import type { FileReport } from '../model/analysis-report.js';
import type { CaptureAnalysis } from './analyze-capture.js';

/** Frames that were not decoded as TCP, by reason. */
export function skippedCounts(analysis: CaptureAnalysis): FileReport['skipped'] {
  const sc = analysis.statusCounts;
  return {
    unknownLinkType: sc[UNKNOWN_LINK]!,
    notIp: sc[NOT_IP]!,
    notTcp: sc[NOT_TCP]!,
    fragments: sc[IP_FRAGMENT]!,
    truncated: sc[TRUNCATED]!,
    malformed: sc[MALFORMED]!,
  };
}

/** "3 not ip, 1 truncated": the non-zero skip reasons in words. */
export function describeSkipped(skipped: FileReport['skipped']): string[] {
  return Object.entries(skipped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace(/[A-Z]/g, (m) => ' ' + m.toLowerCase())}`);
}

import { formatSeconds } from '../recommend/duration.js';
import type { FailureMode, ProbeReport } from './probe-report.js';

const MODE_TEXT: Record<FailureMode, string> = {
  reset: 'after that the next packet of the flow is answered by a RST',
  'silent-drop': 'after that the flow is silently dropped (a black hole: retransmissions, then ETIMEDOUT)',
  mixed: 'some expired connections were reset, others silently dropped',
};

function s(x: number): string {
  return formatSeconds(Math.round(x * 1000) / 1000);
}

/** The one-sentence answer at the top of the text output and in the JSON. */
export function summarize(r: ProbeReport, where: string): string {
  const { survivedMaxS: lo, diedMinS: hi, failureMode, stopReason } = r.result;
  const mode = failureMode ? `; ${MODE_TEXT[failureMode]}` : '';
  const bracket =
    lo !== null && hi !== null ? `${s(lo)} < T ≤ ${s(hi)}` : hi !== null ? `T ≤ ${s(hi)}` : lo !== null ? `T > ${s(lo)}` : 'nothing known';
  switch (stopReason) {
    case 'precision':
      return `The path to ${where} forgets idle flows after T, ${bracket}${mode}.`;
    case 'resolution':
      return r.method === 'keepalive' && lo !== null && hi !== null
        ? `The path to ${where} forgets idle flows after T, ${bracket}${mode}. Keepalive idle is whole seconds, so probes cannot narrow it further (--allow-data can).`
        : `The path to ${where}: ${bracket}${mode}; no untried idle length is left inside the bracket.`;
    case 'below-min':
      return `Even ${s(r.settings.minS)} of idle was fatal on the path to ${where}: ${bracket}${mode}. Rerun with a smaller --min.`;
    case 'above-max':
      return r.method === 'keepalive'
        ? `Connections to ${where} survived ${s(r.settings.maxS)} of idle: no idle timeout up to --max that keepalive probes reset (an L7 proxy ignores them: try --allow-data).`
        : `Connections to ${where} survived ${s(r.settings.maxS)} of idle: no idle timeout up to --max.`;
    case 'max-time':
      return `Stopped at --max-time before the bracket was narrow enough: ${bracket}${mode}.`;
    case 'interrupted':
      return `Interrupted: ${bracket}${mode}.`;
    case 'inconclusive':
      return `No verdict for ${where}: too many connections ended without saying anything about the path (${bracket}).`;
  }
}

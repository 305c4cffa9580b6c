import { formatSeconds } from '../recommend/duration.js';
import { endpointText } from '../util/ip-text.js';
import type { ProbeReport, TrialReport } from './probe-report.js';

function sec(x: number | null): string {
  return x === null ? '—' : `${x.toFixed(1)} s`;
}

function idle(x: number): string {
  return Number.isInteger(x) ? `${x} s` : `${x.toFixed(1)} s`;
}

function attributionText(t: TrialReport): string {
  const r = t.capture?.resets.find((x) => x.attribution !== 'local-stack');
  return r ? `; capture: RST from ${r.attribution} (${r.confidence.toFixed(2)})` : '';
}

/** Human-readable `kad probe` output. */
export function renderProbeText(r: ProbeReport): string {
  const out: string[] = [];
  const how = r.method === 'keepalive' ? 'keepalive probes' : 'one byte of data';
  const precision =
    'seconds' in r.settings.precision ? formatSeconds(r.settings.precision.seconds) : `${r.settings.precision.fraction * 100}%`;
  out.push(
    `kad probe ${endpointText({ addr: r.target.host, port: r.target.port })}: ${how}, ${r.settings.connections} connection${r.settings.connections === 1 ? '' : 's'}, idle ${formatSeconds(r.settings.minS)} … ${formatSeconds(r.settings.maxS)}, precision ${precision}`,
    '',
    `  ${r.result.summary}`,
  );
  if (r.result.failureMode) out.push(`  failure mode: ${r.result.failureMode}`);
  if (r.result.matches.length)
    out.push(
      `  known defaults inside the bracket: ${r.result.matches.map((m) => `${m.preset} (${formatSeconds(m.timeoutS)})`).join(', ')}`,
    );
  if (r.capture.status === 'used') {
    const by = Object.entries(r.capture.resetsBy).map(([who, n]) => `${n} from ${who}`);
    out.push(`  capture (${r.capture.detail}): ${r.capture.packets} packets; RSTs: ${by.length ? by.join(', ') : 'none'}`);
  } else {
    out.push(`  capture: ${r.capture.detail}`);
  }
  out.push('', '  round  start    idle      outcome      decided  observed  evidence');
  for (const round of r.rounds) {
    for (const t of [...round.trials].sort((a, b) => a.idleS - b.idleS)) {
      out.push(
        `  ${String(round.round).padStart(5)}  ${sec(round.startedS).padStart(7)}  ${idle(t.idleS).padStart(8)}  ${t.outcome.padEnd(11)}  ${sec(t.decidedS).padStart(7)}  ${sec(t.observedIdleS).padStart(8)}  ${t.evidence}${attributionText(t)}`,
      );
    }
  }
  for (const n of r.notes) out.push('', `  note: ${n}`);
  out.push('', `  took ${formatSeconds(Math.round(r.elapsedS * 10) / 10)}; stopped: ${r.result.stopReason}`, '');
  return out.join('\n');
}

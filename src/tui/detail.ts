import { withRecommendation } from '../recommend/bracket-recommendation.js';
import { renderDiagnosis, renderIdleTimeouts } from '../render/diagnosis-text.js';
import { renderConnection } from '../render/text-report.js';
import { riskReason } from '../sockets/at-risk.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { durationText } from '../util/time-text.js';
import type { ConnRow } from './conn-rows.js';
import { escapeTags, tag, TAG_STYLE } from './format.js';
import { pushAll } from '../util/extremes.js';

export function socketLine(s: SocketInfo, side: string | null): string {
  const ka =
    s.keepaliveTimer.state === 'on' ? `keepalive on (next probe in ${durationText(s.keepaliveTimer.nextProbeS)})` : 'keepalive off';
  const parts = [s.state, ka];
  if (s.probesOut) parts.push(`${s.probesOut} probes unanswered`);
  if (s.idleMs !== null) parts.push(`idle ${durationText(s.idleMs / 1000)}${s.idleFrom === 'capture' ? ' (per capture)' : ''}`);
  if (s.pid !== null) parts.push(`pid ${s.pid}${s.process ? ` ${s.process}` : ''}`);
  parts.push(`Recv-Q ${s.recvQ} Send-Q ${s.sendQ}`);
  return `socket${side ? ` (${side} end)` : ''}: ${escapeTags(parts.join(', '))}`;
}

function recommendation(r: ConnRow): string[] {
  const inference = r.timeout?.inference ?? null;
  // Live snapshots carry the bare bracket: only the path on screen needs its recommendation.
  if (inference && inference.diedMinS !== null)
    return renderIdleTimeouts([withRecommendation(inference)], TAG_STYLE).map((l) => l.replace(/^ {2}/, ''));
  if (r.timeout?.source === 'user') {
    const t = Math.floor(r.timeout.timeoutS);
    return [
      `{bold}recommendation:{/bold} keep every idle gap under the stated ${durationText(r.timeout.timeoutS)} timeout: kad recommend --idle-timeout ${t}s`,
    ];
  }
  return ['no idle timeout inferred for this path yet: no connection on it has died of idleness'];
}

/**
 * Everything known about one connection, most important first because a
 * small terminal cuts the bottom off: verdict, risk and recommendation,
 * then the evidence, then the facts `kad analyze` prints, then the socket.
 */
export function detailLines(r: ConnRow): string[] {
  const [head, ...facts] = renderConnection(r.conn, TAG_STYLE).map((l) => l.replace(/^ {2}/, ''));
  const [verdict, ...evidence] = r.diag ? renderDiagnosis(r.diag, TAG_STYLE).map((l) => l.replace(/^ {2}/, '')) : [];
  const lines = [head!];
  if (verdict) lines.push(verdict);
  lines.push(`  {bold}risk:{/bold} ${tag(r.riskColour, escapeTags(r.riskText))}`);
  if (r.idleS !== null)
    lines.push(
      `  idle now ${durationText(r.idleS)}${r.timeout ? ` of T = ${durationText(r.timeout.timeoutS)} (${r.timeout.source === 'user' ? 'stated' : 'inferred'})` : ''}`,
    );
  if (r.atRisk && r.silence) lines.push(`  ${tag('yellow', `at risk: ${escapeTags(riskReason(r.atRisk, r.silence))}`)}`);
  for (const l of recommendation(r)) lines.push(`  ${l.trimStart()}`);
  pushAll(pushAll(lines, evidence), facts);
  if (r.socket) lines.push(`  ${socketLine(r.socket, r.socket.side)}`);
  return lines;
}

import { renderIdleTimeouts } from '../render/diagnosis-text.js';
import { renderConnection } from '../render/text-report.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { durationText } from '../util/time-text.js';
import type { ConnRow } from './conn-rows.js';
import { escapeTags, tag, TAG_STYLE } from './format.js';

export function socketLine(s: SocketInfo, side: string | null): string {
  const ka = s.keepaliveTimer.state === 'on' ? `keepalive on (next probe in ${durationText(s.keepaliveTimer.nextProbeS)})` : 'keepalive off';
  const parts = [s.state, ka];
  if (s.probesOut) parts.push(`${s.probesOut} probes unanswered`);
  if (s.idleMs !== null) parts.push(`idle ${durationText(s.idleMs / 1000)}${s.idleFrom === 'capture' ? ' (per capture)' : ''}`);
  if (s.pid !== null) parts.push(`pid ${s.pid}${s.process ? ` ${s.process}` : ''}`);
  parts.push(`Recv-Q ${s.recvQ} Send-Q ${s.sendQ}`);
  return `socket${side ? ` (${side} end)` : ''}: ${escapeTags(parts.join(', '))}`;
}

/**
 * Everything known about one connection: the same facts and verdict text
 * as `kad analyze`, then the risk, the joined socket and the recommendation
 * for its path.
 */
export function detailLines(r: ConnRow): string[] {
  const lines = renderConnection(r.conn, TAG_STYLE, r.diag ?? undefined).map((l) => l.replace(/^ {2}/, ''));
  lines.push(`  risk: ${tag(r.riskColour, escapeTags(r.riskText))}`);
  if (r.idleS !== null) lines.push(`  idle now ${durationText(r.idleS)}${r.timeout ? ` of T = ${durationText(r.timeout.timeoutS)} (${r.timeout.source})` : ''}`);
  if (r.socket) {
    lines.push(`  ${socketLine(r.socket, r.socket.side)}`);
    if (r.socket.riskReason) lines.push(`  ${tag('yellow', `at risk: ${escapeTags(r.socket.riskReason)}`)}`);
  }
  const inference = r.timeout?.inference ?? null;
  if (inference && inference.diedMinS !== null) {
    lines.push(...renderIdleTimeouts([inference], TAG_STYLE).map((l) => l.replace(/^ {2}/, '')));
  } else if (r.timeout?.source === 'stated') {
    const t = Math.floor(r.timeout.timeoutS);
    lines.push(`  {bold}recommendation:{/bold} for the stated ${durationText(r.timeout.timeoutS)} idle timeout: kad recommend --idle-timeout ${t}s`);
  } else {
    lines.push('  no idle timeout inferred for this path yet: nothing here has died of idleness');
  }
  return lines;
}

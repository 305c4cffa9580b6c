/**
 * "At risk": an ESTABLISHED socket whose silence is about to outlast the
 * middlebox idle timeout of its path, and nothing (no keepalive probe
 * soon enough) will refresh the middlebox before it does. Flagged before
 * it breaks, with the reason.
 */
import type { IdleTimeoutInference } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import type { PathTimeout, SocketInfo } from './socket-types.js';

/** Share of the timeout after which an idle socket is flagged. */
export const RISK_FRACTION = 0.7;

export interface RiskOptions {
  /** --idle-timeout, seconds. */
  idleTimeoutS?: number;
  fraction?: number;
}

/**
 * The timeout to judge a socket against: the user's, or the inferred one
 * for its path (the shortest idle period that killed a connection to that
 * server endpoint), whichever is shorter. The path is the joined
 * connection's server, or either end of the socket when it is not joined.
 */
export function timeoutFor(
  s: SocketInfo,
  idleTimeouts: readonly IdleTimeoutInference[],
  serverOf: (conn: number) => string | null,
  userS?: number,
): PathTimeout | null {
  const paths = s.conn !== null ? [serverOf(s.conn)] : [endpointText(s.local), endpointText(s.peer)];
  let best: PathTimeout | null = userS !== undefined && userS > 0 ? { timeoutS: userS, source: 'user', path: null } : null;
  for (const inf of idleTimeouts) {
    if (inf.diedMinS === null || !paths.includes(inf.path)) continue;
    if (!best || inf.diedMinS < best.timeoutS) best = { timeoutS: inf.diedMinS, source: 'inferred', path: inf.path };
  }
  return best;
}

function secs(ms: number): string {
  const s = ms / 1000;
  return s >= 10 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`;
}

function timeoutText(t: PathTimeout): string {
  return t.source === 'user' ? `the ${secs(t.timeoutS * 1000)} idle timeout given with --idle-timeout` : `the ${secs(t.timeoutS * 1000)} idle timeout inferred for ${t.path}`;
}

/** Sets s.atRisk and s.riskReason; returns the reason (null when not at risk). */
export function assessRisk(s: SocketInfo, timeout: PathTimeout | null, fraction = RISK_FRACTION): string | null {
  s.atRisk = false;
  s.riskReason = null;
  let reason: string | null = null;
  if (s.state !== 'ESTABLISHED') return null;
  if (s.keepaliveTimer.state === 'on' && s.probesOut > 0) {
    reason = `${s.probesOut} keepalive probe(s) unanswered: the peer or the path has stopped answering`;
  } else if (timeout && s.idleMs !== null && s.idleMs >= fraction * timeout.timeoutS * 1000) {
    const limitMs = timeout.timeoutS * 1000;
    const idle = `idle ${secs(s.idleMs)}${s.idleFrom === 'capture' ? ' (per the capture)' : ''}`;
    const past = s.idleMs >= limitMs ? `already past ${timeoutText(timeout)}` : `${Math.round((100 * s.idleMs) / limitMs)} % of ${timeoutText(timeout)}`;
    if (s.keepaliveTimer.state === 'off') {
      reason = `${idle}, ${past}, and no keepalive timer`;
    } else if (s.idleMs + s.keepaliveTimer.nextProbeS * 1000 > limitMs) {
      reason = `${idle}, ${past}; the next keepalive probe is due in ${secs(s.keepaliveTimer.nextProbeS * 1000)}, too late`;
    }
  }
  if (reason) {
    s.atRisk = true;
    s.riskReason = reason;
  }
  return reason;
}

import { endpointText } from '../util/ip-text.js';
import { connectionsAtRisk, riskContext, riskReason, type AtRisk, type RiskView } from './at-risk.js';
import { readSockets, type ReadSocketsOptions } from './read-sockets.js';
import { joinSockets } from './socket-join.js';
import { fillOwners } from './socket-owners.js';
import type { SocketInfo } from './socket-types.js';
import type { StatedTimeout } from './at-risk.js';

export interface RiskOptions {
  /** --idle-timeout, seconds. */
  idleTimeoutS?: StatedTimeout;
}

/**
 * Joins sockets to captured connections and judges each one's risk, in
 * place, as of `nowMs`: the moment the table was read (wall clock, which a
 * live capture's clock follows). Returns the connections at risk then,
 * sockets or not.
 */
export function annotateSockets(sockets: SocketInfo[], view: RiskView | null, opts: RiskOptions = {}, nowMs = Date.now()): AtRisk[] {
  const v: RiskView = view ?? { connections: [], idleTimeouts: [] };
  joinSockets(sockets, v.connections, nowMs);
  for (const s of sockets) {
    s.readAtMs = nowMs;
    s.atRisk = false;
    s.riskReason = null;
  }
  const risks = connectionsAtRisk(v.connections, sockets, riskContext(v, nowMs / 1000, opts.idleTimeoutS));
  for (const r of risks) {
    for (const s of r.sockets) {
      if (s.state !== 'ESTABLISHED') continue;
      s.atRisk = true;
      s.riskReason = riskReason(r.risk, r.silence);
    }
  }
  return risks;
}

/** A stable identity for "the same socket" across reads. */
export function socketKey(s: SocketInfo): string {
  return `${endpointText(s.local)}|${endpointText(s.peer)}|${s.inode}`;
}

/**
 * What `kad live` hands the TUI: each call reads the socket table afresh and
 * annotates it against the model's latest snapshot. Owners are resolved for
 * the sockets the TUI shows (joined to a connection, or at risk) only.
 */
export function socketSource(
  latest: () => RiskView | null,
  opts: RiskOptions & ReadSocketsOptions = {},
): (signal: AbortSignal) => Promise<SocketInfo[]> {
  return async (signal) => {
    const { sockets } = await readSockets({ ...opts, signal });
    annotateSockets(sockets, latest(), opts);
    fillOwners(sockets.filter((s) => s.atRisk || s.conn !== null));
    return sockets;
  };
}

import type { ConnectionReport, IdleTimeoutInference } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { readSockets, type ReadSocketsOptions } from './read-sockets.js';
import { joinSockets } from './socket-join.js';
import { assessRisk, timeoutFor, type RiskOptions } from './socket-risk.js';
import type { SocketInfo, SocketJoin } from './socket-types.js';

/** The parts of a LiveSnapshot the socket view needs. */
export interface CaptureView {
  connections: readonly ConnectionReport[];
  idleTimeouts: readonly IdleTimeoutInference[];
}

/** Joins sockets to captured connections and judges each one's risk, in place. */
export function annotateSockets(sockets: SocketInfo[], view: CaptureView | null, opts: RiskOptions = {}, nowMs = Date.now()): SocketJoin[] {
  const connections = view?.connections ?? [];
  const joins = joinSockets(sockets, connections, nowMs);
  const servers = new Map(connections.map((c) => [c.id, endpointText(c.server)]));
  for (const s of sockets) {
    assessRisk(s, timeoutFor(s, view?.idleTimeouts ?? [], (id) => servers.get(id) ?? null, opts.idleTimeoutS), opts.fraction);
  }
  return joins;
}

/** A stable identity for "the same socket" across reads. */
export function socketKey(s: SocketInfo): string {
  return `${endpointText(s.local)}|${endpointText(s.peer)}|${s.inode}`;
}

/**
 * What `kad live` hands the TUI: each call reads the socket table afresh and
 * annotates it against the model's latest snapshot.
 */
export function socketSource(latest: () => CaptureView | null, opts: RiskOptions & ReadSocketsOptions = {}): () => Promise<SocketInfo[]> {
  return async () => {
    const { sockets } = await readSockets(opts);
    annotateSockets(sockets, latest(), opts);
    return sockets;
  };
}

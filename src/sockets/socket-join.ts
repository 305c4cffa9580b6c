import type { ConnectionReport } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { normalizeAddress } from './endpoint-text.js';
import type { SocketEndpoint, SocketInfo, SocketJoin } from './socket-types.js';

function key(local: { addr: string; port: number }, peer: { addr: string; port: number }): string {
  return `${endpointText(local)}|${endpointText(peer)}`;
}

function normal(e: { addr: string; port: number }): SocketEndpoint {
  const a = normalizeAddress(e.addr);
  return a ? { family: a.family, addr: a.addr, port: e.port } : { family: e.addr.includes(':') ? 6 : 4, addr: e.addr, port: e.port };
}

/**
 * Joins captured connections (client/server as the capture saw them) to the
 * sockets of this host: a socket is the server's end when its local address
 * is the connection's server and its peer the client, the client's end the
 * other way round. Sets socket.conn/side in place; a reused 4-tuple joins
 * the newest connection.
 *
 * The capture also corrects the socket's idle clock: the peer's keepalive
 * probes refresh the middlebox but show in none of this socket's clocks
 * (they carry no data and are answered without an ACK being processed),
 * and /proc has no clock at all. So idle = min(socket idle, now − the
 * capture's last packet of the connection).
 */
export function joinSockets(sockets: SocketInfo[], connections: readonly ConnectionReport[], nowMs = Date.now()): SocketJoin[] {
  const bySocketKey = new Map<string, { conn: ConnectionReport; side: 'server' | 'client' }>();
  for (const c of [...connections].sort((a, b) => a.id - b.id)) {
    const client = normal(c.client);
    const server = normal(c.server);
    bySocketKey.set(key(server, client), { conn: c, side: 'server' });
    bySocketKey.set(key(client, server), { conn: c, side: 'client' });
  }
  const joined = new Map<number, { socket: SocketInfo; side: 'server' | 'client' }>();
  // A socket can join only if both its ports are a captured connection's: checked before building its text key.
  const ports = new Set<number>();
  for (const c of connections) ports.add(c.client.port).add(c.server.port);
  for (const s of sockets) {
    if (!ports.has(s.local.port) || !ports.has(s.peer.port)) continue;
    const hit = bySocketKey.get(key(s.local, s.peer));
    if (!hit) continue;
    s.conn = hit.conn.id;
    s.side = hit.side;
    const wireIdle = Math.max(0, nowMs - Number(hit.conn.end) * 1000);
    if (Number.isFinite(wireIdle) && (s.idleMs === null || wireIdle < s.idleMs)) {
      s.idleMs = wireIdle;
      s.idleFrom = 'capture';
    }
    // Both ends on this host (loopback, or one namespace): the server's end represents the connection.
    const prev = joined.get(hit.conn.id);
    if (!prev || (prev.side === 'client' && hit.side === 'server')) joined.set(hit.conn.id, { socket: s, side: hit.side });
  }
  return connections.map((c) => {
    const j = joined.get(c.id);
    return { conn: c.id, socket: j?.socket ?? null, side: j?.side ?? null };
  });
}

import type { TcpState } from './socket-table.js';
import type { SocketEndpoint, SocketInfo } from './socket-types.js';

/** A row with nothing known beyond its identity; readers fill in the rest. */
export function newSocketInfo(source: SocketInfo['source'], state: TcpState, local: SocketEndpoint, peer: SocketEndpoint): SocketInfo {
  return {
    source,
    state,
    local,
    peer,
    timer: { name: 'off', expiresMs: 0, count: 0 },
    keepaliveTimer: { state: 'off' },
    probesOut: 0,
    lastSendMs: null,
    lastRecvMs: null,
    lastAckMs: null,
    idleMs: null,
    idleFrom: null,
    cookie: null,
    inode: 0,
    uid: null,
    pid: null,
    process: null,
    recvQ: 0,
    sendQ: 0,
    conn: null,
    side: null,
    readAtMs: null,
    atRisk: false,
    riskReason: null,
  };
}

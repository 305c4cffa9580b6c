/**
 * The line protocol between the lab (which decides when things happen) and
 * the endpoint programs inside the namespaces (which own the sockets).
 * Commands go to the endpoint's stdin, events come back on its stdout, one
 * JSON object per line. `t` is the endpoint's Date.now(): all namespaces
 * share one clock, so idle times can be measured across endpoints.
 */

export interface AddrPort {
  addr: string;
  port: number;
}

export type EndpointCommand =
  /** socket.setKeepAlive(true, ms): TCP_KEEPIDLE = ms/1000 s; libuv fixes KEEPINTVL 1 s and KEEPCNT 10. */
  | { op: 'keepalive'; ms: number }
  | { op: 'write'; text: string }
  /** Half-close: sends our FIN. */
  | { op: 'end' }
  /** SO_LINGER 0 close (socket.resetAndDestroy): the kernel sends a RST and forgets the socket. */
  | { op: 'abort' };

export type EndpointEvent =
  | { ev: 'listening'; t: number; local: AddrPort }
  | { ev: 'connected'; t: number; local: AddrPort; remote: AddrPort }
  | { ev: 'accepted'; t: number; local: AddrPort; remote: AddrPort }
  | { ev: 'data'; t: number; bytes: number }
  | { ev: 'wrote'; t: number; bytes: number }
  | { ev: 'keepalive-set'; t: number; ms: number }
  | { ev: 'aborted'; t: number }
  | { ev: 'peer-end'; t: number }
  | { ev: 'error'; t: number; code: string }
  | { ev: 'close'; t: number; hadError: boolean }
  | { ev: 'fatal'; t: number; message: string };

export type EventName = EndpointEvent['ev'];
export type EventOf<E extends EventName> = Extract<EndpointEvent, { ev: E }>;

export const LAB_PORT = 5432;

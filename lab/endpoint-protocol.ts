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

/**
 * A client started with `--connections N` owns N sockets, numbered 0..N-1 in
 * connect() order; `conn` picks one (default: the newest). A server's
 * sockets are numbered in accept order.
 */
export type EndpointCommand =
  /** socket.setKeepAlive(true, ms): TCP_KEEPIDLE = ms/1000 s; libuv fixes KEEPINTVL 1 s and KEEPCNT 10. */
  (
    | { op: 'keepalive'; ms: number }
    | { op: 'write'; text: string }
    /** Half-close: sends our FIN. */
    | { op: 'end' }
    /** SO_LINGER 0 close (socket.resetAndDestroy): the kernel sends a RST and forgets the socket. */
    | { op: 'abort' }
    /**
     * The application hangs: its event loop blocks for `ms`, so a server
     * accepts nothing and its listener's accept queue fills as the kernel
     * completes handshakes. Acknowledged with 'stalled' before it blocks.
     */
    | { op: 'stall'; ms: number }
  ) & { conn?: number };

export type EndpointEvent =
  | { ev: 'listening'; t: number; local: AddrPort }
  | { ev: 'stalled'; t: number; ms: number }
  /** The client's connect() calls are all made (the kernel has sent their SYNs). */
  | { ev: 'connecting'; t: number; count: number }
  | { ev: 'connected'; t: number; conn: number; local: AddrPort; remote: AddrPort }
  | { ev: 'accepted'; t: number; conn: number; local: AddrPort; remote: AddrPort }
  | { ev: 'data'; t: number; conn: number; bytes: number }
  | { ev: 'wrote'; t: number; conn: number; bytes: number }
  | { ev: 'keepalive-set'; t: number; conn: number; ms: number }
  | { ev: 'aborted'; t: number; conn: number }
  | { ev: 'peer-end'; t: number; conn: number }
  | { ev: 'error'; t: number; conn: number; code: string }
  | { ev: 'close'; t: number; conn: number; hadError: boolean }
  | { ev: 'fatal'; t: number; message: string };

export type EventName = EndpointEvent['ev'];
export type EventOf<E extends EventName> = Extract<EndpointEvent, { ev: E }>;

export const LAB_PORT = 5432;

/**
 * The socket table of this host as `kad live` / `kad watch` show it: one
 * SocketInfo per TCP socket, from `ss -tinoeH` or, when ss is missing,
 * /proc/net/tcp{,6}. The TUI imports these types; keep them stable.
 */
import type { TcpState } from './socket-table.js';

export type { TcpState } from './socket-table.js';

export interface SocketEndpoint {
  family: 4 | 6;
  /** Dotted quad or RFC 5952 text (v4-mapped IPv6 is shown as IPv4). */
  addr: string;
  port: number;
}

/**
 * The socket's kernel timer, named as ss names it. 'on' is the retransmit
 * timer, 'persist' the zero-window probe timer. Only 'keepalive' on an
 * ESTABLISHED socket means SO_KEEPALIVE is armed; the others mask it.
 */
export type TimerName = 'off' | 'on' | 'keepalive' | 'timewait' | 'persist' | 'unknown';

export interface SocketTimer {
  name: TimerName;
  /** Time until it fires, ms (ss prints ms resolution; /proc has 10 ms ticks). */
  expiresMs: number;
  /** Third ss field: probes sent without answer for keepalive/persist, retransmits for 'on'. */
  count: number;
}

/** Keepalive as far as the socket table can tell: armed, with time to the next probe, or not. */
export type KeepaliveTimer = { state: 'on'; nextProbeS: number } | { state: 'off' };

export interface SocketInfo {
  /** Where the row came from: ss has idle clocks (lastsnd/lastrcv), /proc does not. */
  source: 'ss' | 'proc';
  state: TcpState;
  local: SocketEndpoint;
  peer: SocketEndpoint;
  timer: SocketTimer;
  keepaliveTimer: KeepaliveTimer;
  /** Keepalive probes sent and not answered yet (icsk_probes_out). */
  probesOut: number;
  /** ms since this socket last sent / received data / received an ACK; null from /proc. */
  lastSendMs: number | null;
  lastRecvMs: number | null;
  lastAckMs: number | null;
  /**
   * How long the path has seen nothing of this connection: min(lastSendMs,
   * lastRecvMs, lastAckMs). lastAck is in because keepalive probes and their
   * ACKs carry no data: they refresh a middlebox but not lastsnd/lastrcv.
   * A joined capture's last packet lowers it (the peer's keepalives show
   * only there), and is the only clock /proc rows have.
   */
  idleMs: number | null;
  /** Where idleMs came from: the socket's own clocks, the capture, or nowhere. */
  idleFrom: 'socket' | 'capture' | null;
  /** Socket inode, 0 for TIME_WAIT and other sockets no process owns. */
  inode: number;
  uid: number | null;
  /** Owning process, when visible (ss users:(...) or /proc/PID/fd; other users' processes need root). */
  pid: number | null;
  process: string | null;
  recvQ: number;
  sendQ: number;
  /** Captured connection (ConnectionReport.id) this socket belongs to, once joined. */
  conn: number | null;
  /** Which end of that connection this socket is: the server's or the client's. */
  side: 'server' | 'client' | null;
  /**
   * Epoch ms at which idleMs and the timers held (the read), so that later
   * judgments can move them on; set by annotateSockets().
   */
  readAtMs: number | null;
  /** Set by annotateSockets() (src/sockets/at-risk.ts): will this idle period outlive the path's middlebox? */
  atRisk: boolean;
  riskReason: string | null;
}

/** The middlebox idle timeout a socket is judged against, and where it came from. */
export interface PathTimeout {
  timeoutS: number;
  /** 'user': --idle-timeout; 'inferred': LiveSnapshot.idleTimeouts for the socket's path. */
  source: 'user' | 'inferred';
  /** Server endpoint "addr:port" ("[v6]:port") for inferred timeouts. */
  path: string | null;
}

/** One captured connection and the socket on this host that carries it (if any). */
export interface SocketJoin {
  conn: number;
  socket: SocketInfo | null;
  side: 'server' | 'client' | null;
}

/** What readSockets() returns: the rows, which reader produced them, and why ss was not used. */
export interface SocketRead {
  sockets: SocketInfo[];
  source: 'ss' | 'proc';
  /** Why ss was not used (not installed, failed), when the /proc fallback ran. */
  fallbackReason: string | null;
}

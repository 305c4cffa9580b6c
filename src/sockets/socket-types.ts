/**
 * The socket table of this host as `kad live` / `kad watch` show it: one
 * SocketInfo per TCP socket, from `ss -tinoeH` or, when ss is missing,
 * /proc/net/tcp{,6}. The TUI imports these types; keep them stable.
 */
import type { TcpState } from './socket-table.js';

export type { TcpState } from './socket-table.js';
import type { KeepaliveOptions } from './keepalive-options.js';

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
  /** Where the row came from: sock_diag and ss have idle clocks (lastsnd/lastrcv), /proc does not. */
  source: SocketSource;
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
  /**
   * The kernel's socket cookie (sock_diag idiag_cookie, ss `sk:`), hex as ss
   * prints it: the key that joins a socket to kernel tracepoints
   * (sock_cookie). Null when the reader does not see it (/proc, ss without -e).
   */
  cookie: string | null;
  /** Socket inode, 0 for TIME_WAIT and other sockets no process owns. */
  inode: number;
  uid: number | null;
  /** Owning process, when visible (ss users:(...) or /proc/PID/fd; other users' processes need root). */
  pid: number | null;
  process: string | null;
  /** The owner's descriptor for it, when found through /proc/PID/fd (fillOwners). */
  ownerFd?: number;
  /** Its exact SO_KEEPALIVE/TCP_KEEP* options, read through a duplicate (fillKeepaliveOptions; root only). */
  keepaliveOptions?: KeepaliveOptions;
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

/**
 * What is known of a path's middlebox idle timeout T (src/sockets/at-risk.ts).
 * A path with nothing known has none (null): its state is 'unknown'.
 */
export interface PathTimeout {
  /** 'bracketed': inferred from this traffic (lowS < T ≤ highS); 'given': --idle-timeout, --behind or --timeout-from. */
  state: 'bracketed' | 'given';
  /** What idle time is judged against: the lower end of what is possible (lowS), else the upper bound (highS). */
  timeoutS: number;
  /** T is above this (the longest idle that survived; a given T itself); null when no lower end is known. */
  lowS: number | null;
  /** T is at most this (the shortest idle that died; a given T itself); null when no upper bound is known. */
  highS: number | null;
  /** 'user' for a given timeout, 'inferred' for a bracket (kept for kad watch's timeoutSource). */
  source: 'user' | 'inferred';
  /** Where it comes from, in words: "--idle-timeout", "--behind aws-nat-gateway (AWS NAT Gateway)", "inferred for 198.51.100.10:5432". */
  from: string;
  /** Server endpoint "addr:port" ("[v6]:port") for inferred timeouts. */
  path: string | null;
}

/** One captured connection and the socket on this host that carries it (if any). */
export interface SocketJoin {
  conn: number;
  socket: SocketInfo | null;
  side: 'server' | 'client' | null;
}

/**
 * The socket table's readers, fastest first: sock_diag (binary records from
 * native/sockdiag/kad-sockdiag), ss (text), /proc/net/tcp{,6} (text, no idle clocks).
 */
export type SocketSource = 'sock_diag' | 'ss' | 'proc';

/** What readSockets() returns: the rows, which reader produced them, and why a faster one was not used. */
export interface SocketRead {
  sockets: SocketInfo[];
  source: SocketSource;
  /** Why the faster readers were not used (missing, failed), one line each joined by '; '; null when sock_diag ran. */
  fallbackReason: string | null;
  /** Wall time of the read, ms. */
  readMs: number;
}

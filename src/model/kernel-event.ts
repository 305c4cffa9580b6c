/**
 * What this host's TCP stack reported through its tracepoints (tcp:*,
 * sock:* in tracefs): the domain type `kad watch --kernel` emits and joins.
 * Addresses are from the socket's point of view: `local` is this host's end.
 */
export type KernelEventKind = 'receive-reset' | 'send-reset' | 'error' | 'state' | 'retransmit';

export interface KernelEndpoint {
  addr: string;
  port: number;
}

export interface KernelEvent {
  kind: KernelEventKind;
  /** Seconds on CLOCK_MONOTONIC (the trace instance's `mono` clock). */
  monoS: number;
  family: 4 | 6;
  local: KernelEndpoint;
  remote: KernelEndpoint;
  /** sock_cookie as ss prints it (`sk:<hex>`), when the event carries it (receive-reset only). */
  cookie: string | null;
  /** The socket's TCP state (send-reset, retransmit), or the new state of a state change, ss-style ("ESTABLISHED"). */
  state: string | null;
  /** The previous state of a state change. */
  oldState: string | null;
  /** Why the stack sent a RST (tcp_send_reset reason, e.g. NO_SOCKET); null on kernels without the field. */
  reason: string | null;
  /** The errno handed to the application (inet_sk_error_report): 104 ECONNRESET, 110 ETIMEDOUT … */
  errno: number | null;
}

/** The errnos kad names; others are reported by number. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  104: 'ECONNRESET',
  110: 'ETIMEDOUT',
  111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH',
  32: 'EPIPE',
};

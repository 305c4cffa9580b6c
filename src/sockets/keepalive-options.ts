/** A TCP socket's keepalive options, as the kernel holds them (getsockopt). */
export interface KeepaliveOptions {
  /** SO_KEEPALIVE: whether probes are sent at all. */
  keepalive: boolean;
  /** TCP_KEEPIDLE, seconds of silence before the first probe. */
  idleS: number;
  /** TCP_KEEPINTVL, seconds between probes. */
  intervalS: number;
  /** TCP_KEEPCNT, unanswered probes before the connection is dropped. */
  count: number;
  /** TCP_USER_TIMEOUT, ms (0: the kernel's retransmission limits). */
  userTimeoutMs: number;
}

/** What `kad fix` is asked to set; an absent field is left as it is. */
export type KeepaliveChange = Partial<KeepaliveOptions>;

export const OPTION_FIELDS = ['keepalive', 'idleS', 'intervalS', 'count', 'userTimeoutMs'] as const;

/** The options after `change`, given the socket's current ones. */
export function applied(current: KeepaliveOptions, change: KeepaliveChange): KeepaliveOptions {
  return { ...current, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) };
}

export function sameOptions(a: KeepaliveOptions, b: KeepaliveOptions): boolean {
  return OPTION_FIELDS.every((f) => a[f] === b[f]);
}

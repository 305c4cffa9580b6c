/**
 * The kernel's TCP counters kad shows (`kad watch` stats, metrics, `kad
 * audit`), each with its one-line meaning: the one table every place that
 * shows one reads. `file` and `group` say where the kernel prints it:
 * /proc/net/netstat (TcpExt) or /proc/net/snmp (Tcp). Meanings follow the
 * kernel's LINUX_MIB_* / TCP_MIB_* increments (net/ipv4/tcp_ipv4.c,
 * tcp_input.c, tcp_timer.c, inet_connection_sock.c). They count this network
 * namespace only.
 */
export interface CounterMeaning {
  /** The kernel's name, as printed in the header line. */
  name: string;
  group: 'TcpExt' | 'Tcp';
  file: 'net/netstat' | 'net/snmp';
  /** Prometheus: kad_tcp_<metric>_total. */
  metric: string;
  meaning: string;
}

const ext = (name: string, metric: string, meaning: string): CounterMeaning => ({
  name,
  group: 'TcpExt',
  file: 'net/netstat',
  metric,
  meaning,
});
const tcp = (name: string, metric: string, meaning: string): CounterMeaning => ({ name, group: 'Tcp', file: 'net/snmp', metric, meaning });

export const KERNEL_COUNTERS: readonly CounterMeaning[] = [
  ext(
    'ListenOverflows',
    'listen_overflows',
    "a handshake's final ACK arrived while the listener's accept queue was full (the application is not accepting fast enough); the ACK was dropped",
  ),
  ext('ListenDrops', 'listen_drops', 'a SYN or final ACK dropped at a listener for any reason, overflows included'),
  ext('TCPReqQFullDrop', 'req_q_full_drop', 'a SYN dropped because the SYN (request) queue was full and SYN cookies were off'),
  ext('TCPReqQFullDoCookies', 'req_q_full_do_cookies', 'a SYN answered with a SYN cookie because the SYN (request) queue was full'),
  ext(
    'SyncookiesSent',
    'syncookies_sent',
    'SYN cookies sent: the SYN queue overflowed (a SYN flood, or a backlog too small for the connection rate)',
  ),
  ext('SyncookiesRecv', 'syncookies_recv', 'valid SYN cookies received back: connections set up without a SYN queue entry'),
  ext('SyncookiesFailed', 'syncookies_failed', 'ACKs that carried an invalid SYN cookie (stale, forged, or lost state)'),
  ext(
    'TCPAbortOnTimeout',
    'abort_on_timeout',
    'connections killed after retransmissions or keepalive probes went unanswered (tcp_retries2, tcp_keepalive_probes): ETIMEDOUT',
  ),
  ext('TCPAbortOnData', 'abort_on_data', 'connections reset because data arrived after the application closed its socket'),
  ext('TCPAbortOnClose', 'abort_on_close', 'connections reset because the application closed with unread data in the receive queue'),
  ext('TCPAbortOnLinger', 'abort_on_linger', 'connections reset when the SO_LINGER or TCP_LINGER2 (FIN_WAIT2) time ran out'),
  ext('TCPKeepAlive', 'keepalive_probes', 'keepalive probes sent by this host (every socket in this namespace)'),
  ext('TCPTimeouts', 'timeouts', 'retransmission timer expiries (RTOs, SYN and SYN-ACK retries included): the peer or path went silent'),
  tcp('EstabResets', 'estab_resets', 'connections reset (RST received) from ESTABLISHED or CLOSE_WAIT'),
  tcp('OutRsts', 'out_rsts', 'segments sent with RST set'),
  tcp(
    'AttemptFails',
    'attempt_fails',
    'connection attempts that failed: SYN_SENT or SYN_RECV went back to CLOSED or LISTEN (refused, reset, timed out)',
  ),
];

export type KernelCounterName = (typeof KERNEL_COUNTERS)[number]['name'];

const BY_NAME = new Map(KERNEL_COUNTERS.map((c) => [c.name, c]));

export function counterMeaning(name: string): CounterMeaning | undefined {
  return BY_NAME.get(name);
}

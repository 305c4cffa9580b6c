/**
 * The record kad-sockdiag (native/sockdiag/kad-sockdiag.c) writes per
 * socket, in the host's byte order, after an 8-byte header ("KSD1", u32
 * record size). Keep this file and the C file equal: the decoder refuses a
 * stream whose header names another record size.
 */
export const SOCKDIAG_MAGIC = 'KSD1';
export const SOCKDIAG_HEADER_BYTES = 8;
export const SOCKDIAG_RECORD_BYTES = 88;

/** u8: 4 or 6 (the socket's family; an IPv6 socket may carry a v4-mapped address). */
export const R_FAMILY = 0;
/** u8: kernel TCP state, numbered as /proc/net/tcp's `st`. */
export const R_STATE = 1;
/** u8: idiag_timer, numbered as /proc/net/tcp's `tr` (2 = sk_timer: keepalive on an ESTABLISHED socket). */
export const R_TIMER = 2;
/** u8: idiag_retrans: probes_out under the keepalive and zero-window timers, retransmits under 'on'. */
export const R_RETRANS = 3;
/** u16: local and remote port. */
export const R_SPORT = 4;
export const R_DPORT = 6;
/** 16 bytes each, network order (IPv4 in the first 4). */
export const R_SRC = 8;
export const R_DST = 24;
/** u32: ms until the timer fires. */
export const R_EXPIRES = 40;
export const R_RQUEUE = 44;
export const R_WQUEUE = 48;
export const R_UID = 52;
export const R_INODE = 56;
/** u8: 1 when tcp_info came with the socket (the idle clocks below are then real). */
export const R_HAS_INFO = 60;
/** u8: tcpi_probes, tcpi_backoff. */
export const R_PROBES = 61;
export const R_BACKOFF = 62;
/** u64: the socket cookie (idiag_cookie), the join key of kernel tracepoints (sock_cookie). */
export const R_COOKIE = 64;
/** u32 ms: tcpi_last_data_sent, tcpi_last_data_recv, tcpi_last_ack_recv. */
export const R_LAST_SEND = 72;
export const R_LAST_RECV = 76;
export const R_LAST_ACK = 80;
/** u32 µs: tcpi_rtt. */
export const R_RTT = 84;

/**
 * Numeric packet kinds for the hot path; index into KIND_NAMES for display.
 * Order matters: every kind above K_ACK is "notable" and goes to the event log.
 */
export const K_SYN = 0;
export const K_SYNACK = 1;
export const K_DATA = 2;
export const K_ACK = 3;
export const K_KEEPALIVE = 4;
export const K_KEEPALIVE_ACK = 5;
export const K_ZERO_WINDOW_PROBE = 6;
export const K_RETRANSMISSION = 7;
export const K_FIN = 8;
export const K_RST = 9;
/**
 * A second copy of the packet before it (DUPLICATE_WINDOW_NS): captured
 * twice, sent once. It is counted and changes nothing else, so it never
 * reaches the event log although its code is above K_ACK.
 */
export const K_DUPLICATE = 10;

/**
 * A frame is a copy of the packet before it in its connection (a capture on
 * `any` sees a forwarded or bridged packet on two interfaces; a mirror port
 * fed by both ends sees it leave one and reach the other) when it comes from
 * the same side within this time (ns) and repeats every header field a copy
 * keeps: IP ID, sequence and acknowledgement numbers, length, window, flags.
 * The TTL is not compared: a router's copy has one less. A sender's own
 * retransmission is at least Linux's 2 ms loss-probe timer later, and over
 * IPv4 carries a new IP ID; copies are microseconds apart.
 */
export const DUPLICATE_WINDOW_NS = 1e6;

/**
 * Kinds that wait for the other side's answer, as a bit mask (test
 * `(1 << kind) & AWAITS_ANSWER_KINDS`): each one takes sequence space or
 * carries data (a keepalive pretends to), so a live peer's stack must ACK it. The next packet from the
 * other side answers it; when none comes, the packets make a silent tail (a
 * silent drop), and the first one after an idle period is the packet whose
 * answer tells whether the flow survived the silence. The one rule behind the
 * tracker's unanswered flag, the idle-period pass, the unanswered tails and
 * reset attribution's idle-age signal.
 *
 * A RST is not one of them: nothing answers a RST. A connection that ended
 * with one is diagnosed through its RST (every RST is noted), and a RST after
 * a silent tail is the sender giving up (TAIL_LOCAL_RST), not more of the tail.
 */
export const AWAITS_ANSWER_KINDS = (1 << K_DATA) | (1 << K_KEEPALIVE) | (1 << K_RETRANSMISSION);

/**
 * A silence at least this long (ns) is an idle period: the packet that ends it
 * goes into the event log whatever its kind, the idle-period pass counts
 * whether the connection came through it, and reset attribution's idle-age
 * signal takes a RST answering that packet for an expired middlebox entry. One value for all three, because the pass and the
 * signal only see what the log holds. A second is far below any middlebox
 * idle timeout, yet above the pauses of a busy connection, whose every packet
 * would otherwise be logged.
 */
export const IDLE_MARK_NS = 1e9;

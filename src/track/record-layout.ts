/**
 * Layout of a connection record: byte offsets and bit values, and nothing
 * else, so that the WebAssembly tracker (src/wasm/) compiles the very same
 * file and both sides agree on every field. A new constant must also be
 * described, with its width, in layout-fields.ts (checked by
 * test/record-layout.test.ts).
 */

export const RECORD_BYTES = 168;
export const STRIDE64 = RECORD_BYTES / 8;
export const STRIDE32 = RECORD_BYTES / 4;
export const STRIDE16 = RECORD_BYTES / 2;
export const STRIDE8 = RECORD_BYTES;

// Field order is by use: everything a packet touches lies in bytes 0..103, so
// the per-packet work reads two cache lines of the record, not three.
// Indexes are in units of the view they are read through (byte offset / size).
// What few connections need lies in entries of their own, which the record
// names: IPv6 addresses (v6-layout.ts), and rare counts and the high bits of
// counts past their inline width (cold-layout.ts). The record is what a
// million connections each pay for.

// -- hot: touched by every packet --
/** A's IPv4 address then B's (big-endian words); for IPv6, its address entry (v6-layout.ts) + 1, then 0. */
export const W_ADDR = 0; // bytes 0..7
export const H_PORT = 4; // bytes 8..11, +d: A's port then B's
export const H_STATE = 6; // bytes 12..13
export const B_DIR_FLAGS = 14; // +d
export const H_WIN = 8; // bytes 16..19, +d, raw window field
/** IP ID of the last IPv4 packet of the direction (the RST's sender baseline). */
export const H_LAST_IPID = 10; // bytes 20..23, +d
export const W_NEXT_SEQ = 6; // bytes 24..31, +d
export const W_LAST_ACK = 8; // bytes 32..39, +d
export const F_T_LAST = 5; // bytes 40..47; times are ns relative to the tracker's time base
export const F_MAX_IDLE = 6; // bytes 48..55
export const W_PKTS = 14; // bytes 56..63, +d
/** IP bytes, bits 0..31 (the rest in the cold entry's CW_BYTES_HIGH). */
export const W_BYTES = 16; // bytes 64..71, +d
/** TCP payload bytes, bits 0..31 (the rest in CW_PAYLOAD_HIGH). */
export const W_PAYLOAD = 18; // bytes 72..79, +d
/** Last frame sent in each direction ("did the other side answer after frame F?"). */
export const W_LAST_FRAME_DIR = 20; // bytes 80..87, +d
/** TTL of the direction's first packet other than a RST (of its first RST when it sent nothing else). */
export const B_TTL_FIRST = 88; // +d
export const B_TTL_MIN = 90; // +d
export const B_TTL_MAX = 92; // +d
export const B_LAST_KIND = 94;
/** An END_* code in END_KIND_MASK, or'ed with END_BY_B when side B ended it. */
export const B_END_INFO = 95;
/** Keepalives, bits 0..15 (the rest in CH_KEEPALIVES_HIGH). */
export const H_KEEPALIVES = 48; // bytes 96..99, +d
/** The connection's cold entry (cold-layout.ts) + 1; 0 = none yet: its counts are all 0. */
export const W_COLD = 25; // bytes 100..103

// -- warm and cold: handshakes, rare kinds, the end --
export const F_T_FIRST = 13; // bytes 104..111
/** Time of the SYN until the handshake completes, then the handshake RTT (see ST_RTT_KNOWN). */
export const F_SYN_OR_RTT = 14; // bytes 112..119
export const W_FIRST_FRAME = 30; // bytes 120..123
export const W_MAX_IDLE_FRAME = 31;
export const W_END_FRAME = 32;
/** Keepalive ACKs, bits 0..15 (the rest in CH_KEEPALIVE_ACKS_HIGH). */
export const H_KEEPALIVE_ACKS = 66; // bytes 132..135, +d
export const W_ISN = 34; // bytes 136..143, +d
/** Retransmissions, bits 0..15 (the rest in CH_RETRANS_HIGH). */
export const H_RETRANS = 72; // bytes 144..147, +d
export const H_MSS = 74; // bytes 148..151, +d, 0 = not seen
/** The connection's number (1, 2, …, in order of first packet): what reports call it, kept when older records are evicted. */
export const W_ID = 38; // bytes 152..155
/**
 * TTL of the direction's first segment with payload, and the least and most of
 * its segments with payload; 0 until one is seen. A SYN proxy or L4 front end
 * answers the handshake itself and sends no payload, so these are the real
 * host's while B_TTL_FIRST is the proxy's.
 */
export const B_TTL_DATA = 160; // +d
export const B_TTL_DATA_MIN = 162; // +d
export const B_TTL_DATA_MAX = 164; // +d
/** Window scale of A's SYN in bits 0..3, of B's SYN-ACK in bits 4..7; WSCALE_UNSEEN until seen (a shift is at most 14). */
export const B_WSCALE = 166;
export const WSCALE_UNSEEN = 15;

// -- set-up: touched by SYNs, SYN-ACKs, RSTs before data and the ACK that completes the handshake --
/** SU_* bits: how the handshake went, for the set-up verdicts. */
export const B_SETUP = 167;
/** First SYN → the ACK that completed the handshake, in µs (saturates; 4295 s is beyond any SYN retry budget); valid with SU_SETUP_KNOWN. */
export const W_SETUP_US = 39; // bytes 156..159

// state bits (H_STATE)
export const ST_MIDSTREAM = 1 << 0;
export const ST_SAW_SYN = 1 << 1;
export const ST_SAW_SYNACK = 1 << 2;
export const ST_ESTABLISHED = 1 << 3;
export const ST_RTT_KNOWN = 1 << 4;
export const ST_RESET = 1 << 5;
export const ST_IPV6 = 1 << 6;
/** Direction of the most recent packet (set = B → A). */
export const ST_LAST_DIR_B = 1 << 7;
/** The most recent packet went into the event log, so the next one from the other side is its answer. */
export const ST_LAST_LOGGED = 1 << 8;
/**
 * The last logged packet awaits an answer (AWAITS_ANSWER_KINDS) and nothing
 * from the other side has followed it: a silent drop worth diagnosing, known
 * without reading the event log.
 */
export const ST_UNANSWERED = 1 << 9;
/** Direction of the last logged packet (set = B → A). */
export const ST_EVENT_DIR_B = 1 << 10;

// per-direction bits (B_DIR_FLAGS)
export const D_KEEPALIVE = 1 << 0; // last segment was a keepalive (Wireshark's lastsegmentflags)
export const D_ZWP = 1 << 1; // last segment was a zero-window probe
export const D_NEXTSEQ_SET = 1 << 2;
export const D_FIN = 1 << 3;
export const D_SYN_SEEN = 1 << 4;
export const D_SACK_PERM = 1 << 5;
export const D_TIMESTAMPS = 1 << 6;
/** The direction has sent an IPv4 packet with a non-zero IP ID (a counter, not Linux's socketless 0). */
export const D_IPID_NONZERO = 1 << 7;

// how it ended (B_END_INFO): one byte holds both the kind and who, so the
// per-packet path writes a single store
export const END_KIND_MASK = 0x7f;
export const END_BY_B = 0x80;
export const END_OPEN = 0;
export const END_FIN = 1;
export const END_HALF_CLOSED = 2;
export const END_RESET = 3;
export const END_REJECTED = 4;
export const END_NO_ANSWER = 5;

// set-up bits (B_SETUP). The handshake RTT is timed from the last SYN to the
// first SYN-ACK after it, plus from the last SYN-ACK to the ACK that answers
// it: one exchange, never across a retry gap or a RST.
/** F_SYN_OR_RTT holds the time of the last SYN, not yet answered by a SYN-ACK. */
export const SU_SYN_TIMED = 1 << 0;
/** F_SYN_OR_RTT holds last SYN → first SYN-ACK after it (ns); the ACK adds the rest. */
export const SU_SYNACK_TIMED = 1 << 1;
/** W_SETUP_US is set. */
export const SU_SETUP_KNOWN = 1 << 2;
/** The server answered the SYN with a bare ACK that does not acknowledge it (a challenge ACK for an older connection). */
export const SU_SYN_ODD_ACK = 1 << 3;
/** A RST came from the server before any SYN-ACK. */
export const SU_RST_BEFORE_SYNACK = 1 << 4;
/** A SYN-ACK answering the SYN came after a RST: the connection went on (the RST did not end it). */
export const SU_REVIVED = 1 << 5;
/** The server sent its SYN-ACK again after the client's ACK had completed the handshake. */
export const SU_SYNACK_AFTER_ACK = 1 << 6;

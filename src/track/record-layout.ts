/**
 * Layout of a connection record: byte offsets and bit values, and nothing
 * else, so that the WebAssembly tracker (src/wasm/) compiles the very same
 * file and both sides agree on every field. A new constant must also be
 * described, with its width, in layout-fields.ts (checked by
 * test/record-layout.test.ts).
 */

export const RECORD_BYTES = 240;
export const STRIDE64 = RECORD_BYTES / 8;
export const STRIDE32 = RECORD_BYTES / 4;
export const STRIDE16 = RECORD_BYTES / 2;
export const STRIDE8 = RECORD_BYTES;

// Field order is by use: everything a packet touches lies in bytes 0..135, so
// the per-packet work reads two or three cache lines of the record, not four.
// Indexes are in units of the view they are read through (byte offset / size).

// -- hot: touched by every packet --
export const W_ADDR = 0; // bytes 0..31: A's address then B's, big-endian words, IPv4 in the first
export const H_PORT = 16; // bytes 32..35, +d: A's port then B's
export const H_STATE = 18; // bytes 36..37
export const H_WIN = 19; // bytes 38..41, +d, raw window field
export const B_DIR_FLAGS = 42; // +d
/** IP ID of the last IPv4 packet of the direction (the RST's sender baseline). */
export const H_LAST_IPID = 22; // bytes 44..47, +d
export const W_NEXT_SEQ = 12; // bytes 48..55, +d
export const W_LAST_ACK = 14; // bytes 56..63, +d
export const F_T_LAST = 8; // bytes 64..71; times are ns relative to the tracker's time base
export const F_MAX_IDLE = 9; // bytes 72..79
export const W_PKTS = 20; // bytes 80..87, +d
export const F_BYTES = 11; // bytes 88..103, +d, IP bytes
export const F_PAYLOAD = 13; // bytes 104..119, +d, TCP payload bytes
/** Last frame sent in each direction ("did the other side answer after frame F?"). */
export const W_LAST_FRAME_DIR = 30; // bytes 120..127, +d
/** TTL of the direction's first packet other than a RST (of its first RST when it sent nothing else). */
export const B_TTL_FIRST = 128; // +d
export const B_TTL_MIN = 130; // +d
export const B_TTL_MAX = 132; // +d
export const B_LAST_KIND = 134;
/** An END_* code in END_KIND_MASK, or'ed with END_BY_B when side B ended it. */
export const B_END_INFO = 135;

// -- warm and cold: handshakes, rare kinds, the end --
export const W_KEEPALIVES = 34; // bytes 136..143, +d
export const F_T_FIRST = 18; // bytes 144..151
/** Time of the SYN until the handshake completes, then the handshake RTT (see ST_RTT_KNOWN). */
export const F_SYN_OR_RTT = 19; // bytes 152..159
export const W_FIRST_FRAME = 40; // bytes 160..163
export const W_MAX_IDLE_FRAME = 41;
export const W_END_FRAME = 42;
/** Sequence holes (segments the capture missed), saturating at 65535: past that the number says no more. */
export const H_GAPS = 86; // bytes 172..173
/** Frames that were a second copy of the packet before them (K_DUPLICATE), saturating at 65535: counted here, nowhere else. */
export const H_DUPLICATES = 87; // bytes 174..175
export const W_ISN = 44; // bytes 176..183, +d
export const W_KEEPALIVE_ACKS = 46; // +d
export const W_RETRANS = 48; // +d
export const W_ZWPS = 50; // bytes 200..207, +d
export const H_RSTS = 104; // bytes 208..211, +d
export const H_MSS = 106; // bytes 212..215, +d, 0 = not seen
export const B_WSCALE = 216; // +d, 255 = not seen
/** Data segments sent after the connection's first RST (saturates at 255): the real host kept talking. */
export const B_DATA_AFTER_RST = 218; // +d
/** The connection's number (1, 2, …, in order of first packet): what reports call it, kept when older records are evicted. */
export const W_ID = 55; // bytes 220..223
/**
 * TTL of the direction's first segment with payload, and the least and most of
 * its segments with payload; 0 until one is seen. A SYN proxy or L4 front end
 * answers the handshake itself and sends no payload, so these are the real
 * host's while B_TTL_FIRST is the proxy's.
 */
export const B_TTL_DATA = 232; // +d
export const B_TTL_DATA_MIN = 234; // +d
export const B_TTL_DATA_MAX = 236; // +d; bytes 238..239 are free

// -- set-up: touched by SYNs, SYN-ACKs, RSTs before data and the ACK that completes the handshake --
/** SYNs (d = 0) and SYN-ACKs (d = 1) sent again for the same initial sequence number; saturates at 255. */
export const B_SYN_RETRIES = 224; // +d
/** SU_* bits: how the handshake went, for the set-up verdicts. */
export const B_SETUP = 226;
/** First SYN → the ACK that completed the handshake, in µs (saturates; 4295 s is beyond any SYN retry budget); valid with SU_SETUP_KNOWN. */
export const W_SETUP_US = 57; // bytes 228..231

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

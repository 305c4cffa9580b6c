/**
 * Per-connection state: one fixed-size 224-byte record per connection in a
 * single ArrayBuffer, read through four typed-array views. A packet touches
 * one record (four adjacent cache lines) instead of dozens of scattered
 * columns, which is what keeps a 100 k-connection capture fast; a million
 * connections cost ~235 bytes each and nothing is allocated per packet.
 *
 * Connection ids are dense indexes 0..count-1. Fields marked "+d" have one
 * slot per direction: d = 0 is A → B, where A is the client (SYN sender) or,
 * for a mid-stream pickup, the guessed client.
 */

export const RECORD_BYTES = 224;
export const STRIDE64 = RECORD_BYTES / 8;
export const STRIDE32 = RECORD_BYTES / 4;
export const STRIDE16 = RECORD_BYTES / 2;
export const STRIDE8 = RECORD_BYTES;

// Float64 fields (bytes 0..71); times are ns relative to the tracker's time base.
export const F_T_FIRST = 0;
export const F_T_LAST = 1;
/** Time of the SYN until the handshake completes, then the handshake RTT (see ST_RTT_KNOWN). */
export const F_SYN_OR_RTT = 2;
export const F_MAX_IDLE = 3;
// Float64 slot 4 (bytes 32..39) holds two Uint32 fields, see W_LAST_FRAME_DIR.
export const F_BYTES = 5; // +d, IP bytes
export const F_PAYLOAD = 7; // +d, TCP payload bytes

/** Last frame sent in each direction ("did the other side answer after frame F?"). Bytes 32..39. */
export const W_LAST_FRAME_DIR = 8; // +d

// Uint32 fields (bytes 72..187)
export const W_ADDR = 18; // 8 words: A's address then B's, big-endian words, IPv4 in the first
export const W_FIRST_FRAME = 26;
// Uint32 slot 27 is free.
export const W_MAX_IDLE_FRAME = 28;
export const W_END_FRAME = 29;
export const W_GAPS = 30;
export const W_NEXT_SEQ = 31; // +d
export const W_LAST_ACK = 33; // +d
export const W_ISN = 35; // +d
export const W_PKTS = 37; // +d
export const W_KEEPALIVES = 39; // +d
export const W_KEEPALIVE_ACKS = 41; // +d
export const W_RETRANS = 43; // +d
export const W_ZWPS = 45; // +d

// Uint16 fields (bytes 188..209)
export const H_PORT = 94; // +d: A's port then B's
export const H_STATE = 96;
export const H_WIN = 97; // +d, raw window field
/** IP ID of the last IPv4 packet of the direction (the RST's sender baseline). */
export const H_LAST_IPID = 99; // +d
export const H_RSTS = 101; // +d
export const H_MSS = 103; // +d, 0 = not seen

// Uint8 fields (bytes 210..223)
/** END_* in the low 7 bits, bit 7 set when side B ended it. */
export const B_END_INFO = 210;
export const B_LAST_KIND = 211;
export const B_DIR_FLAGS = 212; // +d
export const B_TTL_FIRST = 214; // +d
export const B_TTL_MIN = 216; // +d
export const B_TTL_MAX = 218; // +d
export const B_WSCALE = 220; // +d, 255 = not seen
/** Data segments sent after the connection's first RST (saturates at 255): the real host kept talking. */
export const B_DATA_AFTER_RST = 222; // +d

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

// how it ended (B_END_INFO)
export const END_OPEN = 0;
export const END_FIN = 1;
export const END_HALF_CLOSED = 2;
export const END_RESET = 3;
export const END_REJECTED = 4;
export const END_NO_ANSWER = 5;

export class ConnectionStore {
  count = 0;
  capacity = 0;
  f64!: Float64Array;
  u32!: Uint32Array;
  u16!: Uint16Array;
  u8!: Uint8Array;

  constructor(initialCapacity = 1024) {
    this.allocate(Math.max(16, initialCapacity));
  }

  /** Bytes held by the records (what connection state costs, excluding the flow index). */
  memoryBytes(): number {
    return this.u8.byteLength;
  }

  /** Reserve a new, zeroed connection id, growing the buffer when full. */
  add(): number {
    if (this.count === this.capacity) this.allocate(this.capacity * 2);
    const c = this.count++;
    const b8 = c * STRIDE8;
    this.u8[b8 + B_WSCALE] = 255;
    this.u8[b8 + B_WSCALE + 1] = 255;
    this.u8[b8 + B_TTL_MIN] = 255;
    this.u8[b8 + B_TTL_MIN + 1] = 255;
    return c;
  }

  *ids(): Generator<number> {
    for (let c = 0; c < this.count; c++) yield c;
  }

  // Readers for code off the hot path (reports); the tracker indexes the views directly.
  f(c: number, field: number): number {
    return this.f64[c * STRIDE64 + field]!;
  }
  w(c: number, field: number): number {
    return this.u32[c * STRIDE32 + field]!;
  }
  h(c: number, field: number): number {
    return this.u16[c * STRIDE16 + field]!;
  }
  b(c: number, field: number): number {
    return this.u8[c * STRIDE8 + field]!;
  }

  private allocate(cap: number): void {
    const buf = new ArrayBuffer(cap * RECORD_BYTES);
    const u8 = new Uint8Array(buf);
    if (this.u8) u8.set(this.u8);
    this.f64 = new Float64Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u16 = new Uint16Array(buf);
    this.u8 = u8;
    this.capacity = cap;
  }
}

/**
 * Per-connection state as columns of typed arrays (struct of arrays), so a
 * million concurrent connections cost a few hundred bytes each and updating
 * one never allocates. Connection ids are dense indexes 0..count-1.
 * Per-direction columns are indexed `conn * 2 + dir`, dir 0 = A → B where A
 * is the client (SYN sender) or, for mid-stream pickups, the guessed client.
 */

// state bits (per connection)
export const ST_MIDSTREAM = 1 << 0;
export const ST_SAW_SYN = 1 << 1;
export const ST_SAW_SYNACK = 1 << 2;
export const ST_ESTABLISHED = 1 << 3;
export const ST_RTT_KNOWN = 1 << 4;
export const ST_RESET = 1 << 5;
export const ST_IPV6 = 1 << 6;
/** Direction of the most recent packet (set = B → A). */
export const ST_LAST_DIR_B = 1 << 7;

// per-direction bits
export const D_KEEPALIVE = 1 << 0; // last segment was a keepalive (Wireshark's lastsegmentflags)
export const D_ZWP = 1 << 1; // last segment was a zero-window probe
export const D_NEXTSEQ_SET = 1 << 2;
export const D_FIN = 1 << 3;
export const D_SYN_SEEN = 1 << 4;
export const D_SACK_PERM = 1 << 5;
export const D_TIMESTAMPS = 1 << 6;

// how it ended (endKind column)
export const END_OPEN = 0;
export const END_FIN = 1;
export const END_HALF_CLOSED = 2;
export const END_RESET = 3;
export const END_REJECTED = 4;
export const END_NO_ANSWER = 5;

export class ConnectionStore {
  count = 0;
  capacity = 0;

  // per connection
  addr!: Uint32Array; // 8 words: A then B
  port!: Uint16Array; // 2: A then B
  state!: Uint16Array;
  firstFrame!: Uint32Array;
  lastFrame!: Uint32Array;
  tFirst!: Float64Array; // ns relative to the capture's time base
  tLast!: Float64Array;
  /** Time of the SYN until the handshake completes, then the handshake RTT (ns); see ST_RTT_KNOWN. */
  synOrRtt!: Float64Array;
  maxIdle!: Float64Array;
  maxIdleFrame!: Uint32Array;
  endFrame!: Uint32Array;
  endTime!: Float64Array;
  /** END_* in the low 7 bits, bit 7 set when side B ended it. */
  endInfo!: Uint8Array;
  gaps!: Uint32Array;
  lastKind!: Uint8Array;

  // per direction
  nextSeq!: Uint32Array;
  lastAck!: Uint32Array;
  isn!: Uint32Array;
  win!: Uint16Array;
  dirFlags!: Uint8Array;
  pkts!: Uint32Array;
  bytes!: Float64Array;
  payload!: Float64Array;
  keepalives!: Uint32Array;
  keepaliveAcks!: Uint32Array;
  retrans!: Uint32Array;
  zwps!: Uint32Array;
  fins!: Uint16Array;
  rsts!: Uint16Array;
  ttlFirst!: Uint8Array;
  ttlMin!: Uint8Array;
  ttlMax!: Uint8Array;
  mss!: Uint16Array; // 0 = not seen
  wscale!: Int8Array; // -1 = not seen

  constructor(initialCapacity = 1024) {
    this.allocate(Math.max(16, initialCapacity));
  }

  /** Bytes held by the columns (what the tracker costs, excluding the flow index). */
  memoryBytes(): number {
    let total = 0;
    for (const col of this.columns()) total += col.byteLength;
    return total;
  }

  /** Reserve a new connection id, growing the columns when full. */
  add(): number {
    if (this.count === this.capacity) this.allocate(this.capacity * 2);
    const c = this.count++;
    this.wscale[c * 2] = -1;
    this.wscale[c * 2 + 1] = -1;
    this.ttlMin[c * 2] = 255;
    this.ttlMin[c * 2 + 1] = 255;
    return c;
  }

  private columns(): ArrayBufferView[] {
    return [
      this.addr, this.port, this.state, this.firstFrame, this.lastFrame, this.tFirst, this.tLast,
      this.synOrRtt, this.maxIdle, this.maxIdleFrame, this.endFrame, this.endTime, this.endInfo,
      this.gaps, this.lastKind, this.nextSeq, this.lastAck, this.isn, this.win, this.dirFlags,
      this.pkts, this.bytes, this.payload, this.keepalives, this.keepaliveAcks, this.retrans,
      this.zwps, this.fins, this.rsts, this.ttlFirst, this.ttlMin, this.ttlMax, this.mss, this.wscale,
    ];
  }

  private allocate(cap: number): void {
    const grow = <T extends Uint8Array | Int8Array | Uint16Array | Uint32Array | Float64Array>(
      old: T | undefined,
      make: (n: number) => T,
      perConn: number,
    ): T => {
      const next = make(cap * perConn);
      if (old) next.set(old);
      return next;
    };
    this.addr = grow(this.addr, (n) => new Uint32Array(n), 8);
    this.port = grow(this.port, (n) => new Uint16Array(n), 2);
    this.state = grow(this.state, (n) => new Uint16Array(n), 1);
    this.firstFrame = grow(this.firstFrame, (n) => new Uint32Array(n), 1);
    this.lastFrame = grow(this.lastFrame, (n) => new Uint32Array(n), 1);
    this.tFirst = grow(this.tFirst, (n) => new Float64Array(n), 1);
    this.tLast = grow(this.tLast, (n) => new Float64Array(n), 1);
    this.synOrRtt = grow(this.synOrRtt, (n) => new Float64Array(n), 1);
    this.maxIdle = grow(this.maxIdle, (n) => new Float64Array(n), 1);
    this.maxIdleFrame = grow(this.maxIdleFrame, (n) => new Uint32Array(n), 1);
    this.endFrame = grow(this.endFrame, (n) => new Uint32Array(n), 1);
    this.endTime = grow(this.endTime, (n) => new Float64Array(n), 1);
    this.endInfo = grow(this.endInfo, (n) => new Uint8Array(n), 1);
    this.gaps = grow(this.gaps, (n) => new Uint32Array(n), 1);
    this.lastKind = grow(this.lastKind, (n) => new Uint8Array(n), 1);
    this.nextSeq = grow(this.nextSeq, (n) => new Uint32Array(n), 2);
    this.lastAck = grow(this.lastAck, (n) => new Uint32Array(n), 2);
    this.isn = grow(this.isn, (n) => new Uint32Array(n), 2);
    this.win = grow(this.win, (n) => new Uint16Array(n), 2);
    this.dirFlags = grow(this.dirFlags, (n) => new Uint8Array(n), 2);
    this.pkts = grow(this.pkts, (n) => new Uint32Array(n), 2);
    this.bytes = grow(this.bytes, (n) => new Float64Array(n), 2);
    this.payload = grow(this.payload, (n) => new Float64Array(n), 2);
    this.keepalives = grow(this.keepalives, (n) => new Uint32Array(n), 2);
    this.keepaliveAcks = grow(this.keepaliveAcks, (n) => new Uint32Array(n), 2);
    this.retrans = grow(this.retrans, (n) => new Uint32Array(n), 2);
    this.zwps = grow(this.zwps, (n) => new Uint32Array(n), 2);
    this.fins = grow(this.fins, (n) => new Uint16Array(n), 2);
    this.rsts = grow(this.rsts, (n) => new Uint16Array(n), 2);
    this.ttlFirst = grow(this.ttlFirst, (n) => new Uint8Array(n), 2);
    this.ttlMin = grow(this.ttlMin, (n) => new Uint8Array(n), 2);
    this.ttlMax = grow(this.ttlMax, (n) => new Uint8Array(n), 2);
    this.mss = grow(this.mss, (n) => new Uint16Array(n), 2);
    this.wscale = grow(this.wscale, (n) => new Int8Array(n), 2);
    this.capacity = cap;
  }
}

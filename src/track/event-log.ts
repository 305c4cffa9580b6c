/**
 * The packets worth remembering after the pass: keepalives and their ACKs,
 * zero-window probes, retransmissions, FINs, RSTs, and every packet that
 * ends an idle gap. These drive diagnosis and timelines without a second
 * pass over the capture.
 *
 * One 48-byte record per event in a single buffer (read through typed views
 * of different widths), grown by doubling: an append touches one cache line
 * instead of one per column, and never allocates per packet.
 */
const STRIDE = 48;
const S64 = STRIDE / 8;
const S32 = STRIDE / 4;
const S16 = STRIDE / 2;
// Field positions, in units of the view that reads them.
const F_TIME = 0; // f64: ns relative to the capture time base
const F_IDLE = 1; // f64: idle time before this packet in its connection (ns)
const W_CONN = 4;
const W_FRAME = 5;
const W_SEQ = 6;
const W_ACK = 7;
const W_IPID = 8; // i32: IPv4 id, or -1 for IPv6
const H_LEN = 18;
const H_WIN = 19;
const B_KIND = 40;
const B_DIR = 41;
const B_TTL = 42;
const B_FLAGS = 43;
const B_OPTS = 44; // bit 0: TCP timestamps option present

export class EventLog {
  count = 0;
  private capacity = 0;
  private f64 = new Float64Array(0);
  private u32 = new Uint32Array(0);
  private i32 = new Int32Array(0);
  private u16 = new Uint16Array(0);
  private u8 = new Uint8Array(0);

  constructor(initial = 1024) {
    this.allocate(initial);
  }

  append(
    conn: number, frame: number, time: number, kind: number, dir: number, ttl: number, len: number,
    flags: number, ipId: number, win: number, seq: number, ack: number, hasTs: boolean, idleBefore: number,
  ): void {
    if (this.count === this.capacity) this.allocate(this.capacity * 2);
    const i = this.count++;
    const d = i * S64;
    this.f64[d + F_TIME] = time;
    this.f64[d + F_IDLE] = idleBefore;
    const w = i * S32;
    const u32 = this.u32;
    u32[w + W_CONN] = conn;
    u32[w + W_FRAME] = frame;
    u32[w + W_SEQ] = seq;
    u32[w + W_ACK] = ack;
    this.i32[w + W_IPID] = ipId;
    const h = i * S16;
    this.u16[h + H_LEN] = len > 0xffff ? 0xffff : len;
    this.u16[h + H_WIN] = win;
    const b = i * STRIDE;
    const u8 = this.u8;
    u8[b + B_KIND] = kind;
    u8[b + B_DIR] = dir;
    u8[b + B_TTL] = ttl;
    u8[b + B_FLAGS] = flags;
    u8[b + B_OPTS] = hasTs ? 1 : 0;
  }

  /** Connection id of event i. */
  conn(i: number): number {
    return this.u32[i * S32 + W_CONN]!;
  }
  frame(i: number): number {
    return this.u32[i * S32 + W_FRAME]!;
  }
  /** ns relative to the tracker's time base. */
  time(i: number): number {
    return this.f64[i * S64 + F_TIME]!;
  }
  /** Silence in the connection before this packet (ns). */
  idleBefore(i: number): number {
    return this.f64[i * S64 + F_IDLE]!;
  }
  seq(i: number): number {
    return this.u32[i * S32 + W_SEQ]!;
  }
  ack(i: number): number {
    return this.u32[i * S32 + W_ACK]!;
  }
  /** IPv4 id, or -1 for IPv6. */
  ipId(i: number): number {
    return this.i32[i * S32 + W_IPID]!;
  }
  /** TCP payload length, saturated at 65535. */
  len(i: number): number {
    return this.u16[i * S16 + H_LEN]!;
  }
  win(i: number): number {
    return this.u16[i * S16 + H_WIN]!;
  }
  /** K_* packet kind. */
  kind(i: number): number {
    return this.u8[i * STRIDE + B_KIND]!;
  }
  /** 0 = client→server, 1 = server→client. */
  dir(i: number): number {
    return this.u8[i * STRIDE + B_DIR]!;
  }
  ttl(i: number): number {
    return this.u8[i * STRIDE + B_TTL]!;
  }
  flags(i: number): number {
    return this.u8[i * STRIDE + B_FLAGS]!;
  }
  hasTimestamps(i: number): boolean {
    return (this.u8[i * STRIDE + B_OPTS]! & 1) !== 0;
  }

  /** Index of the event for `frame`, or -1 (frames are appended in increasing order). */
  indexOfFrame(frame: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const f = this.frame(mid);
      if (f === frame) return mid;
      if (f < frame) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  memoryBytes(): number {
    return this.capacity * STRIDE;
  }

  private allocate(capacity: number): void {
    const buf = new ArrayBuffer(capacity * STRIDE);
    new Uint8Array(buf).set(this.u8);
    this.capacity = capacity;
    this.f64 = new Float64Array(buf);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.u16 = new Uint16Array(buf);
    this.u8 = new Uint8Array(buf);
  }
}

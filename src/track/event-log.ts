/**
 * The packets worth remembering after the pass: keepalives and their ACKs,
 * zero-window probes, retransmissions, FINs, RSTs, and every packet that
 * ends an idle gap. These drive diagnosis and timelines without a second
 * pass over the capture.
 *
 * One 48-byte record per event in a single buffer (read through typed views
 * of different widths), grown by doubling: an append touches one cache line
 * instead of one per column. The WebAssembly tracker writes the records
 * (E_* positions) in its own memory; these are views of them.
 */
import {
  E_ACK,
  E_CONN,
  E_DIR,
  E_FLAGS,
  E_FRAME,
  E_IDLE,
  E_IPID,
  E_KIND,
  E_LEN,
  E_OPT_TIMESTAMPS,
  E_OPTS,
  E_SEQ,
  E_STRIDE,
  E_STRIDE16,
  E_STRIDE32,
  E_STRIDE64,
  E_TIME,
  E_TTL,
  E_WIN,
} from './event-layout.js';

export class EventLog {
  count = 0;
  private capacity = 0;
  // Views of the tracker's event region; pointed at it again whenever it has moved or grown (attach).
  private f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private u32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private u16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private u8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  /** Views of `capacity` records from `byteOffset` of `buffer` (8-byte aligned). */
  attach(buffer: ArrayBufferLike, byteOffset: number, capacity: number): void {
    this.f64 = new Float64Array(buffer, byteOffset, capacity * E_STRIDE64);
    this.u32 = new Uint32Array(buffer, byteOffset, capacity * E_STRIDE32);
    this.i32 = new Int32Array(buffer, byteOffset, capacity * E_STRIDE32);
    this.u16 = new Uint16Array(buffer, byteOffset, capacity * E_STRIDE16);
    this.u8 = new Uint8Array(buffer, byteOffset, capacity * E_STRIDE);
    this.capacity = capacity;
  }

  /** Connection id of event i. */
  conn(i: number): number {
    return this.u32[i * E_STRIDE32 + E_CONN]!;
  }
  frame(i: number): number {
    return this.u32[i * E_STRIDE32 + E_FRAME]!;
  }
  /** ns relative to the tracker's time base. */
  time(i: number): number {
    return this.f64[i * E_STRIDE64 + E_TIME]!;
  }
  /** Silence in the connection before this packet (ns). */
  idleBefore(i: number): number {
    return this.f64[i * E_STRIDE64 + E_IDLE]!;
  }
  seq(i: number): number {
    return this.u32[i * E_STRIDE32 + E_SEQ]!;
  }
  ack(i: number): number {
    return this.u32[i * E_STRIDE32 + E_ACK]!;
  }
  /** IPv4 id, or -1 for IPv6. */
  ipId(i: number): number {
    return this.i32[i * E_STRIDE32 + E_IPID]!;
  }
  /** TCP payload length, saturated at 65535. */
  len(i: number): number {
    return this.u16[i * E_STRIDE16 + E_LEN]!;
  }
  win(i: number): number {
    return this.u16[i * E_STRIDE16 + E_WIN]!;
  }
  /** K_* packet kind. */
  kind(i: number): number {
    return this.u8[i * E_STRIDE + E_KIND]!;
  }
  /** 0 = client→server, 1 = server→client. */
  dir(i: number): number {
    return this.u8[i * E_STRIDE + E_DIR]!;
  }
  ttl(i: number): number {
    return this.u8[i * E_STRIDE + E_TTL]!;
  }
  flags(i: number): number {
    return this.u8[i * E_STRIDE + E_FLAGS]!;
  }
  hasTimestamps(i: number): boolean {
    return (this.u8[i * E_STRIDE + E_OPTS]! & E_OPT_TIMESTAMPS) !== 0;
  }

  /** Index of the event for `frame`, or -1 (frames are appended in increasing order). */
  indexOfFrame(frame: number): number {
    return this.search(frame, 0, this.count - 1);
  }

  /** Binary search for `frame` among events lo..hi. */
  private search(frame: number, lo: number, hi: number): number {
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
    return this.capacity * E_STRIDE;
  }

  /** The `count` records as raw bytes (a view, not a copy), for comparing two passes byte for byte. */
  recordBytes(): Uint8Array {
    return this.u8.subarray(0, this.count * E_STRIDE);
  }
}

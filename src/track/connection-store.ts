/**
 * Per-connection state: one fixed-size 224-byte record per connection in one
 * region of the WebAssembly tracker's memory, read here through four
 * typed-array views. A packet touches
 * the hot front of one record (a few adjacent cache lines) instead of dozens
 * of scattered columns, which is what keeps a 100 k-connection capture fast;
 * a million connections cost ~235 bytes each and nothing is allocated per packet.
 *
 * Connection ids are dense indexes 0..count-1. Fields marked "+d" have one
 * slot per direction: d = 0 is A → B, where A is the client (SYN sender) or,
 * for a mid-stream pickup, the guessed client.
 */

import { RECORD_BYTES, STRIDE16, STRIDE32, STRIDE64, STRIDE8 } from './record-layout.js';

export * from './record-layout.js';

/**
 * The records as the tracker (src/wasm/tracker.ts) writes them. Read-only
 * here: the tracker points the views at its region again whenever the
 * region has grown (attach).
 */
export class ConnectionStore {
  count = 0;
  capacity = 0;
  f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  u32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  u16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  u8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  /** Views of `capacity` records from `byteOffset` of `buffer` (64-byte aligned). */
  attach(buffer: ArrayBufferLike, byteOffset: number, capacity: number): void {
    this.f64 = new Float64Array(buffer, byteOffset, capacity * STRIDE64);
    this.u32 = new Uint32Array(buffer, byteOffset, capacity * STRIDE32);
    this.u16 = new Uint16Array(buffer, byteOffset, capacity * STRIDE16);
    this.u8 = new Uint8Array(buffer, byteOffset, capacity * STRIDE8);
    this.capacity = capacity;
  }

  /** Bytes held by the records (what connection state costs, excluding the flow index). */
  memoryBytes(): number {
    return this.capacity * RECORD_BYTES;
  }

  // Readers for code off the hot path (reports).
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
}

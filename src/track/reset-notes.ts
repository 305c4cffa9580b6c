import {
  N_ACK,
  N_BITS,
  N_CONN,
  N_DIR,
  N_EXPECTED_SEQ,
  N_EXPECTED_SEQ_SET,
  N_FLAGS,
  N_FRAME,
  N_HAS_TIMESTAMPS,
  N_IPID,
  N_LAST_IPID,
  N_LAST_IPID_SET,
  N_PREV_DIR_B,
  N_PREV_FRAME,
  N_PREV_IDLE,
  N_PREV_IDLE_KNOWN,
  N_PREV_KIND,
  N_PREV_SEEN,
  N_PREV_TIME,
  N_SEGLEN,
  N_SEQ,
  N_TIME,
  N_TTL,
  N_WINDOW,
  NOTE_BYTES,
} from './reset-note-layout.js';
import { TCP_ACK } from '../decode/tcp-flags.js';
import type { ResetContext } from './reset-context.js';

/**
 * The WebAssembly tracker's ring of reset notes (a count, then the notes),
 * read into ResetContexts. The ring lies below the tracker's growing regions
 * and never moves: views of it stay valid.
 */
export class ResetNotes {
  private readonly count: Uint32Array;
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly u16: Uint16Array;
  private readonly u8: Uint8Array;

  constructor(buffer: ArrayBufferLike, at: number, max: number) {
    this.count = new Uint32Array(buffer, at, 1);
    const from = at + 8;
    this.f64 = new Float64Array(buffer, from, (max * NOTE_BYTES) / 8);
    this.u32 = new Uint32Array(buffer, from, (max * NOTE_BYTES) / 4);
    this.i32 = new Int32Array(buffer, from, (max * NOTE_BYTES) / 4);
    this.u16 = new Uint16Array(buffer, from, (max * NOTE_BYTES) / 2);
    this.u8 = new Uint8Array(buffer, from, max * NOTE_BYTES);
  }

  /** Appends the notes taken since the last call to `out` and empties the ring; how many there were. */
  takeInto(out: ResetContext[]): number {
    const n = this.count[0]!;
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) out.push(this.read(i));
    this.count[0] = 0;
    return n;
  }

  private read(i: number): ResetContext {
    const w64 = (i * NOTE_BYTES) / 8;
    const w32 = (i * NOTE_BYTES) / 4;
    const w16 = (i * NOTE_BYTES) / 2;
    const b = i * NOTE_BYTES;
    const bits = this.u8[b + N_BITS]!;
    return {
      conn: this.u32[w32 + N_CONN]!,
      frame: this.u32[w32 + N_FRAME]!,
      time: this.f64[w64 + N_TIME]!,
      dir: this.u8[b + N_DIR]!,
      ttl: this.u8[b + N_TTL]!,
      ipId: this.i32[w32 + N_IPID]!,
      window: this.u16[w16 + N_WINDOW]!,
      seq: this.u32[w32 + N_SEQ]!,
      ack: this.u32[w32 + N_ACK]!,
      withAck: (this.u8[b + N_FLAGS]! & TCP_ACK) !== 0,
      hasTimestamps: (bits & N_HAS_TIMESTAMPS) !== 0,
      payloadLen: this.i32[w32 + N_SEGLEN]!,
      expectedSeq: (bits & N_EXPECTED_SEQ_SET) !== 0 ? this.u32[w32 + N_EXPECTED_SEQ]! : null,
      senderLastIpId: (bits & N_LAST_IPID_SET) !== 0 ? this.u16[w16 + N_LAST_IPID]! : null,
      previous:
        (bits & N_PREV_SEEN) !== 0
          ? {
              frame: this.u32[w32 + N_PREV_FRAME]!,
              time: this.f64[w64 + N_PREV_TIME]!,
              dir: (bits & N_PREV_DIR_B) !== 0 ? 1 : 0,
              kind: this.u8[b + N_PREV_KIND]!,
              idleNs: (bits & N_PREV_IDLE_KNOWN) !== 0 ? this.f64[w64 + N_PREV_IDLE]! : null,
            }
          : null,
    };
  }
}

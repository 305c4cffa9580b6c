import type { CaptureError } from './capture-error.js';

/**
 * One capture format's record parser. It is fed whatever contiguous bytes
 * the driver has and consumes only whole records, so the same code serves
 * synchronous file reads and asynchronous stdin / gunzip streams.
 */
export interface FormatParser {
  /**
   * Delivers every complete record in buf[pos, end) and returns the
   * position after the last one. `base` is the stream offset of buf[0].
   * Throws CaptureError on corrupt data, after delivering what came before.
   */
  parse(buf: Buffer, pos: number, end: number, base: number): number;
  /** Bytes needed at the returned position before parse can make progress. */
  readonly need: number;
  /** The error for a stream that ended with `left` unconsumed bytes at `offset`. */
  truncated(offset: number, left: number): CaptureError;
  readonly frames: number;
  /** LINKTYPE_* values, in order of first use. */
  linkTypes(): number[];
  tsResolutionNs(): number;
  dropsReported(): number | null;
}

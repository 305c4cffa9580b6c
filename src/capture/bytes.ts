/**
 * Unsigned integer reads for the record parsers. Callers bounds-check
 * first; these never throw, so a corrupt length can only produce a
 * CaptureError upstream, never a RangeError. Plain byte arithmetic
 * measured faster than Buffer#readUInt32LE / DataView on the hot path.
 */

export function u16(buf: Buffer, o: number, le: boolean): number {
  return le ? buf[o] | (buf[o + 1] << 8) : (buf[o] << 8) | buf[o + 1];
}

export function u32(buf: Buffer, o: number, le: boolean): number {
  return le
    ? (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16)) + buf[o + 3] * 0x1000000
    : buf[o] * 0x1000000 + ((buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]);
}

/** A 64-bit field as a double; exact below 2^53, which covers any real counter. */
export function u64(buf: Buffer, o: number, le: boolean): number {
  return le ? u32(buf, o + 4, true) * 4294967296 + u32(buf, o, true) : u32(buf, o, false) * 4294967296 + u32(buf, o + 4, false);
}

/** Signed 64-bit field as a double (if_tsoffset can be negative). */
export function i64(buf: Buffer, o: number, le: boolean): number {
  const hi = le ? u32(buf, o + 4, true) : u32(buf, o, false);
  const lo = le ? u32(buf, o, true) : u32(buf, o + 4, false);
  return (hi | 0) * 4294967296 + lo;
}

export function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

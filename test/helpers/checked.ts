/**
 * Checked index reads for tests (noUncheckedIndexedAccess): an index that is
 * out of range is a bug in the test's own setup, so it fails loudly with the
 * index and length rather than going on with `undefined`.
 */
import assert from 'node:assert/strict';

/** `xs[i]`, failing the test when `i` is out of range. Not for arrays that may hold `undefined`. */
export function itemAt<T>(xs: ArrayLike<T>, i: number, what = 'element'): T {
  const v = xs[i];
  assert.ok(v !== undefined, `${what} ${i} out of range (length ${xs.length})`);
  return v;
}

/** The byte at `i` of `buf`, failing the test when `i` is out of range. */
export function byteAt(buf: Uint8Array, i: number): number {
  return itemAt(buf, i, 'byte');
}

/** `buf[i] ^= mask`, failing the test when `i` is out of range. */
export function xorByte(buf: Uint8Array, i: number, mask: number): void {
  buf[i] = byteAt(buf, i) ^ mask;
}

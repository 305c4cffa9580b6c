/**
 * Largest and smallest of a list of any length. Math.max(...xs) passes every
 * element as an argument and overflows the stack near 120 k of them.
 */
export function maxOf<T>(xs: Iterable<T>, value: (x: T) => number, empty: number): number {
  let m = -Infinity;
  for (const x of xs) {
    const v = value(x);
    if (v > m) m = v;
  }
  return m === -Infinity ? empty : m;
}

export function minOf<T>(xs: Iterable<T>, value: (x: T) => number, empty: number): number {
  let m = Infinity;
  for (const x of xs) {
    const v = value(x);
    if (v < m) m = v;
  }
  return m === Infinity ? empty : m;
}

/** Appends every element of `more` to `out`, in place (push(...more) without the argument list). */
export function pushAll<T>(out: T[], more: Iterable<T>): T[] {
  for (const x of more) out.push(x);
  return out;
}

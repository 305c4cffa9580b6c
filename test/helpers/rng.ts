import { itemAt } from './checked.js';

/**
 * mulberry32: tiny and seedable, so a generated case that fails can be
 * replayed from the seed its test prints.
 */
export class Mulberry32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The tests' generator: mulberry32 with the draws generated cases need. */
export class Rng extends Mulberry32 {
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  /** One of `items` (which must be non-empty and hold no `undefined`). */
  pick<T>(items: readonly T[]): T {
    return itemAt(items, this.int(items.length), 'item');
  }
}

/** A generated test's seed: fixed, so runs repeat, unless the environment variable asks to explore another. */
export function seedFrom(envVar: string, fallback: number): number {
  const env = process.env[envVar];
  return (env === undefined || env === '' ? fallback : Number(env)) >>> 0;
}

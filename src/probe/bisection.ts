/**
 * Where to put the next idle lengths. Each connection that survives an idle
 * of x proves T > x; each that dies proves T ≤ x; so the timeout lies in
 * (longest survived, shortest died]. New trials go where the bracket is
 * widest relative to the points already being tried, and only inside it.
 * The search assumes one timeout for the path: an idle longer than a fatal
 * one is not tried again.
 */

export type Precision = { kind: 'seconds'; value: number } | { kind: 'fraction'; value: number };

export interface SearchSpace {
  minS: number;
  maxS: number;
  /** Granularity of a trial's idle: 1 s for keepalive probes (TCP_KEEPIDLE is whole seconds). */
  stepS: number;
  precision: Precision;
}

export interface Bracket {
  /** Longest idle that survived: T is above it. */
  survivedMaxS: number | null;
  /** Shortest idle after which the path killed the flow: T is at most this. */
  diedMinS: number | null;
}

export type SearchEnd = 'precision' | 'below-min' | 'above-max';

/** The widest bracket that still counts as an answer. */
export function allowedWidthS(p: Precision, diedMinS: number): number {
  return p.kind === 'seconds' ? p.value : p.value * diedMinS;
}

export function searchEnd(space: SearchSpace, b: Bracket): SearchEnd | null {
  if (b.survivedMaxS === null && b.diedMinS !== null && b.diedMinS <= space.minS) return 'below-min';
  if (b.diedMinS === null && b.survivedMaxS !== null && b.survivedMaxS >= space.maxS) return 'above-max';
  if (b.survivedMaxS !== null && b.diedMinS !== null && b.diedMinS - b.survivedMaxS <= allowedWidthS(space.precision, b.diedMinS) + 1e-9) {
    return 'precision';
  }
  return null;
}

/**
 * Up to `k` new idle lengths, none above `capS` (what still fits in the
 * time budget), none equal to one already being tried.
 */
export function choosePoints(space: SearchSpace, b: Bracket, pendingS: readonly number[], k: number, capS = Infinity): number[] {
  if (k <= 0 || searchEnd(space, b) !== null) return [];
  const lo = b.survivedMaxS ?? space.minS;
  const hi = b.diedMinS ?? space.maxS;
  if (lo >= hi) return [];
  const taken = new Set(pendingS.map((x) => key(x)));
  const picked: number[] = [];
  const take = (x: number): void => {
    const r = roundTo(x, space.stepS);
    if (picked.length >= k || r > capS || taken.has(key(r))) return;
    if (r < space.minS || r > space.maxS) return;
    if ((b.survivedMaxS !== null && r <= b.survivedMaxS) || (b.diedMinS !== null && r >= b.diedMinS)) return;
    taken.add(key(r));
    picked.push(r);
  };
  // The ends of the range are unknowns of their own: is anything fatal by max, is min already fatal?
  if (b.diedMinS === null) take(space.maxS);
  if (b.survivedMaxS === null) take(space.minS);

  const bounds = [lo, ...pendingS.filter((x) => x > lo && x < hi), ...picked.filter((x) => x > lo && x < hi), hi].sort((x, y) => x - y);
  const geometric = lo > 0 && hi / lo >= 4;
  const size = (x: number, y: number): number => (geometric ? Math.log(y / x) : y - x);
  const allowed = allowedWidthS(space.precision, hi);
  const gaps = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [x, y] = [bounds[i]!, bounds[i + 1]!];
    // A gap already within the precision is answered once its ends are known.
    if (y - x > allowed + 1e-9 && y - x > space.stepS / 2) gaps.push({ x, y, n: 0 });
  }
  if (gaps.length === 0) return picked.sort((x, y) => x - y);
  // Hand out points one at a time to the gap that is widest per point it would get.
  for (let left = k - picked.length; left > 0; left--) {
    let best = gaps[0]!;
    for (const g of gaps) if (size(g.x, g.y) / (g.n + 1) > size(best.x, best.y) / (best.n + 1)) best = g;
    best.n++;
  }
  for (const g of gaps) {
    for (let j = 1; j <= g.n; j++) {
      take(geometric ? g.x * Math.pow(g.y / g.x, j / (g.n + 1)) : g.x + ((g.y - g.x) * j) / (g.n + 1));
    }
  }
  return picked.sort((x, y) => x - y);
}

function roundTo(x: number, step: number): number {
  return Number((Math.round(x / step) * step).toFixed(6));
}

function key(x: number): string {
  return x.toFixed(6);
}

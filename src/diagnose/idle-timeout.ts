import type { IdleTimeoutInference } from '../model/analysis-report.js';
import { PRESETS } from '../recommend/presets.js';

/** Per-connection sums, laid out as IdleTimeoutTally keeps them. */
export interface TallySums {
  survivedCount: Uint32Array<ArrayBufferLike>;
  survivedMaxNs: Float64Array<ArrayBufferLike>;
  diedCount: Uint32Array<ArrayBufferLike>;
  diedMinNs: Float64Array<ArrayBufferLike>;
  first: Float64Array<ArrayBufferLike>;
  periods: number;
}

interface PathTally {
  survivedMaxS: number;
  survived: number;
  /** Infinity until one dies. */
  diedMinS: number;
  died: number;
  /** Distinct connections with at least one idle period on this path. */
  conns: number;
  /** When the path's first period was counted: paths are reported in that order. */
  first: number;
}

/**
 * Collects idle periods, in capture order, and brackets each path's idle
 * timeout T (a path is the server "addr:port": connections through the same
 * path share a middlebox timeout): the longest idle period that was survived
 * < T ≤ the shortest one after which the flow was reset by a middlebox or
 * black-holed; then names the known defaults inside it. Periods are summed
 * per connection in typed arrays and per path only in result(): a busy
 * capture has one period per answered keepalive, and looking its path up each
 * time made the pass over the event log about twice as slow.
 */
export class IdleTimeoutTally {
  private survivedCount: Uint32Array<ArrayBufferLike>;
  private survivedMaxNs: Float64Array<ArrayBufferLike>;
  private diedCount: Uint32Array<ArrayBufferLike>;
  private diedMinNs: Float64Array<ArrayBufferLike>;
  /** Order of the connection's first period (-1: none yet). */
  private first: Float64Array<ArrayBufferLike>;
  private periods = 0;

  constructor(connections = 0) {
    this.survivedCount = new Uint32Array(connections);
    this.survivedMaxNs = new Float64Array(connections).fill(-Infinity);
    this.diedCount = new Uint32Array(connections);
    this.diedMinNs = new Float64Array(connections).fill(Infinity);
    this.first = new Float64Array(connections).fill(-1);
  }

  /** A tally that goes on from per-connection sums made elsewhere (the tracker's pass over the event log). */
  static continuing(sums: TallySums): IdleTimeoutTally {
    const t = new IdleTimeoutTally(0);
    t.survivedCount = sums.survivedCount;
    t.survivedMaxNs = sums.survivedMaxNs;
    t.diedCount = sums.diedCount;
    t.diedMinNs = sums.diedMinNs;
    t.first = sums.first;
    t.periods = sums.periods;
    return t;
  }

  /** Connection `conn` came through `idleNs` of silence. */
  survived(conn: number, idleNs: number): void {
    this.ensure(conn);
    this.survivedCount[conn]!++;
    if (idleNs > this.survivedMaxNs[conn]!) this.survivedMaxNs[conn] = idleNs;
    if (this.first[conn]! < 0) this.first[conn] = this.periods;
    this.periods++;
  }

  /** Connection `conn` was reset by a middlebox or black-holed after `idleNs` of silence. */
  died(conn: number, idleNs: number): void {
    this.ensure(conn);
    this.diedCount[conn]!++;
    if (idleNs < this.diedMinNs[conn]!) this.diedMinNs[conn] = idleNs;
    if (this.first[conn]! < 0) this.first[conn] = this.periods;
    this.periods++;
  }

  private ensure(conn: number): void {
    if (conn < this.first.length) return;
    const n = Math.max(conn + 1, this.first.length * 2);
    this.survivedCount = grown(this.survivedCount, new Uint32Array(n));
    this.survivedMaxNs = grown(this.survivedMaxNs, new Float64Array(n).fill(-Infinity));
    this.diedCount = grown(this.diedCount, new Uint32Array(n));
    this.diedMinNs = grown(this.diedMinNs, new Float64Array(n).fill(Infinity));
    this.first = grown(this.first, new Float64Array(n).fill(-1));
  }

  /** Sums per path (`pathOf` a connection) and brackets each path's timeout; paths in the order of their first period. */
  result(pathOf: (conn: number) => string): IdleTimeoutInference[] {
    const paths = new Map<string, PathTally>();
    for (let c = 0; c < this.first.length; c++) {
      const first = this.first[c]!;
      if (first < 0) continue;
      const path = pathOf(c);
      let t = paths.get(path);
      if (t === undefined) paths.set(path, (t = { survivedMaxS: -Infinity, survived: 0, diedMinS: Infinity, died: 0, conns: 0, first }));
      else if (first < t.first) t.first = first;
      t.conns++;
      t.survived += this.survivedCount[c]!;
      t.survivedMaxS = Math.max(t.survivedMaxS, this.survivedMaxNs[c]! / 1e9);
      t.died += this.diedCount[c]!;
      t.diedMinS = Math.min(t.diedMinS, this.diedMinNs[c]! / 1e9);
    }
    return this.bracket([...paths].sort((a, b) => a[1].first - b[1].first));
  }

  private bracket(paths: [string, PathTally][]): IdleTimeoutInference[] {
    const out: IdleTimeoutInference[] = [];
    for (const [path, t] of paths) {
      if (t.died === 0) continue; // nothing timed out: no timeout to infer on this path
      const diedMinS = t.diedMinS;
      const survivedMaxS = t.survived > 0 ? t.survivedMaxS : null;
      const lo = survivedMaxS ?? 0;
      const consistent = lo < diedMinS;
      const matches = consistent
        ? PRESETS.filter((p) => p.layer === 'L4' && p.idleTimeoutS !== null && p.idleTimeoutS > lo && p.idleTimeoutS <= diedMinS * 1.02)
            .map((p) => ({ preset: p.id, timeoutS: p.idleTimeoutS! }))
        : [];
      out.push({
        path,
        connections: t.conns,
        survivedMaxS,
        survived: t.survived,
        diedMinS,
        died: t.died,
        consistent,
        matches,
      });
    }
    return out;
  }
}

function grown<T extends Uint32Array<ArrayBufferLike> | Float64Array<ArrayBufferLike>>(old: T, into: T): T {
  into.set(old);
  return into;
}

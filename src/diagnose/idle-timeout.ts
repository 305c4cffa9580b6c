import type { IdleTimeoutInference } from '../report/analysis-report.js';
import { PRESETS } from '../recommend/presets.js';

export interface PathTally {
  /** -Infinity until an idle period is survived; never null, so V8 keeps it an unboxed double (no allocation per update). */
  survivedMaxS: number;
  survived: number;
  /** Infinity until one dies. */
  diedMinS: number;
  died: number;
  /** Distinct connections with at least one idle period on this path. */
  conns: number;
}

/**
 * Collects idle periods per path (server "addr:port": connections through
 * the same path share a middlebox timeout) and brackets each path's idle
 * timeout T: the longest idle period that was survived < T ≤ the shortest one
 * after which the flow was reset by a middlebox or black-holed; then names
 * the known defaults inside it. Tallies as it goes: a busy capture has one
 * idle period per answered keepalive.
 */
export class IdleTimeoutTally {
  private readonly paths = new Map<string, PathTally>();
  /** A connection belongs to one path (its server's), so one flag per connection counts it once. */
  private counted: Uint8Array;

  constructor(connections = 0) {
    this.counted = new Uint8Array(connections);
  }

  /** The tally of one path; hold on to it to skip the lookup on every idle period. */
  forPath(path: string): PathTally {
    let t = this.paths.get(path);
    if (!t) {
      t = { survivedMaxS: -Infinity, survived: 0, diedMinS: Infinity, died: 0, conns: 0 };
      this.paths.set(path, t);
    }
    return t;
  }

  add(path: string | PathTally, conn: number, idleS: number, outcome: 'survived' | 'died'): void {
    const t = typeof path === 'string' ? this.forPath(path) : path;
    if (conn >= this.counted.length) {
      const more = new Uint8Array(Math.max(conn + 1, this.counted.length * 2));
      more.set(this.counted);
      this.counted = more;
    }
    if (this.counted[conn] === 0) {
      this.counted[conn] = 1;
      t.conns++;
    }
    if (outcome === 'survived') {
      t.survived++;
      if (idleS > t.survivedMaxS) t.survivedMaxS = idleS;
    } else {
      t.died++;
      if (idleS < t.diedMinS) t.diedMinS = idleS;
    }
  }

  /**
   * A path's periods summed elsewhere, each connection's counted once in
   * `conns`: for a caller that sums per connection first. Paths are reported
   * in the order they were first given, by either method.
   */
  addTotals(path: string, totals: PathTally): void {
    const t = this.forPath(path);
    t.conns += totals.conns;
    t.survived += totals.survived;
    if (totals.survivedMaxS > t.survivedMaxS) t.survivedMaxS = totals.survivedMaxS;
    t.died += totals.died;
    if (totals.diedMinS < t.diedMinS) t.diedMinS = totals.diedMinS;
  }

  result(): IdleTimeoutInference[] {
    const out: IdleTimeoutInference[] = [];
    for (const [path, t] of this.paths) {
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

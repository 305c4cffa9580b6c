import type { IdleTimeoutInference } from '../report/analysis-report.js';
import { PRESETS } from '../recommend/presets.js';

export interface PathTally {
  survivedMaxS: number | null;
  survived: number;
  diedMinS: number | null;
  died: number;
  conns: Set<number>;
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

  /** The tally of one path; hold on to it to skip the lookup on every idle period. */
  forPath(path: string): PathTally {
    let t = this.paths.get(path);
    if (!t) {
      t = { survivedMaxS: null, survived: 0, diedMinS: null, died: 0, conns: new Set() };
      this.paths.set(path, t);
    }
    return t;
  }

  add(path: string | PathTally, conn: number, idleS: number, outcome: 'survived' | 'died'): void {
    const t = typeof path === 'string' ? this.forPath(path) : path;
    t.conns.add(conn);
    if (outcome === 'survived') {
      t.survived++;
      t.survivedMaxS = t.survivedMaxS === null ? idleS : Math.max(t.survivedMaxS, idleS);
    } else {
      t.died++;
      t.diedMinS = t.diedMinS === null ? idleS : Math.min(t.diedMinS, idleS);
    }
  }

  result(): IdleTimeoutInference[] {
    const out: IdleTimeoutInference[] = [];
    for (const [path, t] of this.paths) {
      if (t.diedMinS === null) continue; // nothing timed out: no timeout to infer on this path
      const lo = t.survivedMaxS ?? 0;
      const consistent = lo < t.diedMinS;
      const matches = consistent
        ? PRESETS.filter((p) => p.layer === 'L4' && p.idleTimeoutS !== null && p.idleTimeoutS > lo && p.idleTimeoutS <= t.diedMinS! * 1.02)
            .map((p) => ({ preset: p.id, timeoutS: p.idleTimeoutS! }))
        : [];
      out.push({
        path,
        connections: t.conns.size,
        survivedMaxS: t.survivedMaxS,
        survived: t.survived,
        diedMinS: t.diedMinS,
        died: t.died,
        consistent,
        matches,
      });
    }
    return out;
  }
}

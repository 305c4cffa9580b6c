import type { IdleTimeoutInference } from '../report/analysis-report.js';
import { PRESETS } from '../recommend/presets.js';

/** One idle period of one connection and whether the connection lived through it. */
export interface IdleObservation {
  /** Server endpoint "addr:port": connections through the same path share a middlebox timeout. */
  path: string;
  conn: number;
  idleS: number;
  outcome: 'survived' | 'died';
}

/**
 * Brackets each path's idle timeout T: the longest idle period that was
 * survived < T ≤ the shortest one after which the flow was reset by a
 * middlebox or black-holed; then names the known defaults inside it.
 */
export function inferIdleTimeouts(observations: IdleObservation[]): IdleTimeoutInference[] {
  const byPath = new Map<string, IdleObservation[]>();
  for (const o of observations) {
    const list = byPath.get(o.path) ?? [];
    list.push(o);
    byPath.set(o.path, list);
  }
  const out: IdleTimeoutInference[] = [];
  for (const [path, list] of byPath) {
    const survived = list.filter((o) => o.outcome === 'survived');
    const died = list.filter((o) => o.outcome === 'died');
    if (died.length === 0) continue; // nothing timed out: no timeout to infer on this path
    const survivedMaxS = survived.length ? Math.max(...survived.map((o) => o.idleS)) : null;
    const diedMinS = Math.min(...died.map((o) => o.idleS));
    const lo = survivedMaxS ?? 0;
    const consistent = lo < diedMinS;
    const matches = consistent
      ? PRESETS.filter((p) => p.layer === 'L4' && p.idleTimeoutS !== null && p.idleTimeoutS > lo && p.idleTimeoutS <= diedMinS * 1.02)
          .map((p) => ({ preset: p.id, timeoutS: p.idleTimeoutS! }))
      : [];
    out.push({
      path,
      connections: new Set(list.map((o) => o.conn)).size,
      survivedMaxS,
      survived: survived.length,
      diedMinS,
      died: died.length,
      consistent,
      matches,
    });
  }
  return out;
}

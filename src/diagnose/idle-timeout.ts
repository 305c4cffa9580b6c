import type { IdleTimeoutInference } from '../model/analysis-report.js';
import { PRESETS } from '../recommend/presets.js';

/** Idle periods summed per connection, as the tracker's pass writes them (TcpTracker.idlePeriods). */
export interface TallySums {
  survivedCount: Uint32Array<ArrayBufferLike>;
  survivedMaxNs: Float64Array<ArrayBufferLike>;
  diedCount: Uint32Array<ArrayBufferLike>;
  diedMinNs: Float64Array<ArrayBufferLike>;
  /** Order of the connection's first period (-1: none). */
  first: Float64Array<ArrayBufferLike>;
}

/** One path's idle periods so far: sums that add up across passes (connections evicted earlier, then the rest). */
export interface PathTally {
  survivedMaxS: number;
  survived: number;
  /** Infinity until one dies. */
  diedMinS: number;
  died: number;
  /** Distinct connections with at least one idle period on this path. */
  conns: number;
  /** Key of the path's first period (wasm/idle-pass.ts): paths are reported in that order. */
  first: number;
}

/** Idle periods by path, keyed by the path text. */
export type PathTallies = Map<string, PathTally>;

/**
 * Brackets each path's idle timeout T (a path is the server "addr:port":
 * connections through the same path share a middlebox timeout): the longest
 * idle period that was survived < T ≤ the shortest one after which the flow
 * was reset by a middlebox or black-holed; then names the known defaults
 * inside it. The periods come summed per connection, in capture order, from
 * the tracker's pass over the event log (src/wasm/idle-pass.ts, the one place
 * that decides whether a period was survived or died); they are summed per
 * path only here: a busy capture has one period per answered keepalive, and
 * looking its path up each time made the pass about twice as slow. Paths come
 * in the order of their first period.
 */
export function idleTimeoutsByPath(sums: TallySums, pathOf: (conn: number) => string): IdleTimeoutInference[] {
  return bracketPaths(tallyPaths(sums, pathOf));
}

/** The connections' sums added into `paths` per path; with `only`, just the connections whose byte there is 1. */
export function tallyPaths(
  sums: TallySums,
  pathOf: (conn: number) => string,
  paths: PathTallies = new Map(),
  only?: Uint8Array,
): PathTallies {
  for (let c = 0; c < sums.first.length; c++) {
    const first = sums.first[c]!;
    if (first < 0 || (only !== undefined && only[c] !== 1)) continue;
    const path = pathOf(c);
    let t = paths.get(path);
    if (t === undefined) paths.set(path, (t = { survivedMaxS: -Infinity, survived: 0, diedMinS: Infinity, died: 0, conns: 0, first }));
    else if (first < t.first) t.first = first;
    t.conns++;
    t.survived += sums.survivedCount[c]!;
    t.survivedMaxS = Math.max(t.survivedMaxS, sums.survivedMaxNs[c]! / 1e9);
    t.died += sums.diedCount[c]!;
    t.diedMinS = Math.min(t.diedMinS, sums.diedMinNs[c]! / 1e9);
  }
  return paths;
}

/** `from` added into `into` (a path's tallies from two sets of connections). */
export function mergePathTallies(into: PathTallies, from: PathTallies): PathTallies {
  for (const [path, f] of from) {
    const t = into.get(path);
    if (t === undefined) {
      into.set(path, { ...f });
      continue;
    }
    t.survivedMaxS = Math.max(t.survivedMaxS, f.survivedMaxS);
    t.survived += f.survived;
    t.diedMinS = Math.min(t.diedMinS, f.diedMinS);
    t.died += f.died;
    t.conns += f.conns;
    t.first = Math.min(t.first, f.first);
  }
  return into;
}

/** Each path's bracket, paths in the order of their first period. */
export function bracketPaths(paths: PathTallies): IdleTimeoutInference[] {
  return bracket([...paths].sort((a, b) => a[1].first - b[1].first));
}

function bracket(paths: [string, PathTally][]): IdleTimeoutInference[] {
  const out: IdleTimeoutInference[] = [];
  for (const [path, t] of paths) {
    if (t.died === 0) continue; // nothing timed out: no timeout to infer on this path
    const diedMinS = t.diedMinS;
    const survivedMaxS = t.survived > 0 ? t.survivedMaxS : null;
    const lo = survivedMaxS ?? 0;
    const consistent = lo < diedMinS;
    const matches = consistent
      ? PRESETS.filter((p) => p.layer === 'L4' && p.idleTimeoutS !== null && p.idleTimeoutS > lo && p.idleTimeoutS <= diedMinS * 1.02).map(
          (p) => ({ preset: p.id, name: p.name, timeoutS: p.idleTimeoutS! }),
        )
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

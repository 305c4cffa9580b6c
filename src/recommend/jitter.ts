/**
 * The kernel adds no jitter: connections opened together (pool warm-up, mass
 * reconnect after a failover) probe in lockstep forever. Drawing each
 * socket's idle time from base·(1 − U(0, 0.1)) spreads them out and can only
 * shorten the idle time, so the path bound still holds.
 */

export interface JitterAdvice {
  baseS: number;
  minS: number;
  maxS: number;
  /** False when 1 s granularity leaves no integer value inside the range. */
  effective: boolean;
  formula: string;
}

export const JITTER_FRACTION = 0.1;

export function jitterFor(baseS: number): JitterAdvice {
  const minS = Math.min(baseS, Math.ceil(baseS * (1 - JITTER_FRACTION)));
  return { baseS, minS, maxS: baseS, effective: minS < baseS, formula: 'idle = base × (1 − U(0, 0.1))' };
}

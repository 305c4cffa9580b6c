import { niceFloor } from './keepalive-solver.js';

/**
 * Redis takes one number: `tcp-keepalive X` sets TCP_KEEPIDLE = X,
 * TCP_KEEPINTVL = X/3 (at least 1) and TCP_KEEPCNT = 3 (anet.c
 * anetKeepAlive). The general setting cannot be passed through, so X is
 * re-derived from the same bound with Redis's own interval.
 */
export interface RedisKeepalive {
  tcpKeepaliveS: number;
  intervalS: number;
  probes: 3;
  /** Redis fixes KEEPCNT at 3, so it cannot tolerate more than 2 lost probes. */
  losses: number;
  detectionS: number;
}

export function redisIntervalFor(x: number): number {
  return Math.max(1, Math.floor(x / 3));
}

export function redisKeepaliveFor(budgetS: number, toleratedLosses: number, detectWithinS: number | null): RedisKeepalive | null {
  const losses = Math.min(toleratedLosses, 2);
  const fits = (x: number): boolean =>
    x + losses * redisIntervalFor(x) <= budgetS && (detectWithinS === null || x + 3 * redisIntervalFor(x) <= detectWithinS);
  // Both sides of the bound grow with x, so the largest fitting x is found by scanning down.
  for (let x = Math.min(budgetS, 7200); x >= 1; x--) {
    if (!fits(x)) continue;
    const nice = niceFloor(x);
    const chosen = nice >= 1 && fits(nice) ? nice : x;
    const intervalS = redisIntervalFor(chosen);
    return { tcpKeepaliveS: chosen, intervalS, probes: 3, losses, detectionS: chosen + 3 * intervalS };
  }
  return null;
}

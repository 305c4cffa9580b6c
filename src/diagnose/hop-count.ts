/**
 * Stacks start TTL / hop limit at one of a few values (Linux and macOS 64,
 * Windows 128, many routers and Solaris 255, old stacks 32); the smallest
 * one at or above the observed value is taken as the sender's initial TTL.
 */
const INITIAL_TTLS = [32, 64, 128, 255];

export interface HopEstimate {
  initial: number;
  hops: number;
}

/**
 * No packet crosses a router with TTL 0 and no stack sends one: a 0 is a
 * zeroed field (anonymised traces do it), and says nothing about hops.
 */
export function ttlKnown(ttl: number): boolean {
  return ttl > 0;
}

export function estimateHops(ttl: number): HopEstimate {
  let initial = 255;
  for (let i = 0; i < INITIAL_TTLS.length; i++) {
    if (ttl <= INITIAL_TTLS[i]!) {
      initial = INITIAL_TTLS[i]!;
      break;
    }
  }
  return { initial, hops: initial - ttl };
}

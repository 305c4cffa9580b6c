// AssemblyScript: BSD loopback headers, a 4-byte address family (NULL: the capturing host's order; LOOP: network order).
import { NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { be32, handOff, L_IPV4, L_IPV6 } from './layer';

/** IPv6's family number differs per OS; all of these mean IPv6 here. */
function byFamily(af: u32, inner: usize, end: usize): i32 {
  if (af == 2) return handOff(L_IPV4, inner, end);
  if (af == 24 || af == 28 || af == 30 || af == 10) return handOff(L_IPV6, inner, end);
  return NOT_IP;
}

export function analyzeNull(p: usize, end: usize): i32 {
  if (p + 4 > end) return TRUNCATED;
  // A real family value fits in the low 16 bits: whichever byte order yields that is the writer's.
  let af = load<u32>(p);
  if (af >>> 16 != 0) af = be32(p);
  return byFamily(af, p + 4, end);
}

export function analyzeLoop(p: usize, end: usize): i32 {
  if (p + 4 > end) return TRUNCATED;
  return byFamily(be32(p), p + 4, end);
}

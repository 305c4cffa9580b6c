// AssemblyScript: IP over InfiniBand (LINKTYPE_IPOIB): a 2-byte ethertype and 2 reserved bytes.
import { NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { byEtherType } from './dispatch';
import { be16, handOff, L_NONE } from './layer';

export function analyzeIpoib(p: usize, end: usize): i32 {
  if (p + 4 > end) return TRUNCATED;
  const next = byEtherType(be16(p));
  return next == L_NONE ? NOT_IP : handOff(next, p + 4, end);
}

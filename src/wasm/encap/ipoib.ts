// AssemblyScript: IP over InfiniBand (LINKTYPE_IPOIB) as Linux captures it and Wireshark reads it: a 40-byte
// pseudo header (the Global Route Header, or 20 zero bytes and the 20-byte destination address), then the
// 4-byte IPoIB header of RFC 4391: ethertype and 2 reserved bytes. (tcpdump.org's table lists only the 4.)
import { NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { byEtherType } from './dispatch';
import { be16, handOff, L_NONE } from './layer';

const PSEUDO_HEADER = 40;

export function analyzeIpoib(p: usize, end: usize): i32 {
  if (p + PSEUDO_HEADER + 4 > end) return TRUNCATED;
  const next = byEtherType(be16(p + PSEUDO_HEADER));
  return next == L_NONE ? NOT_IP : handOff(next, p + PSEUDO_HEADER + 4, end);
}

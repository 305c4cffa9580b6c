// AssemblyScript: Ethernet II, with any stack of 802.1Q / 802.1ad / old QinQ (0x9100) tags.
import { NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { byEtherType } from './dispatch';
import { be16, handOff, L_NONE } from './layer';

export function analyzeEthernet(p: usize, end: usize): i32 {
  if (p + 14 > end) return TRUNCATED;
  let o = p + 12;
  let type = be16(o);
  while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
    o += 4;
    if (o + 2 > end) return TRUNCATED;
    type = be16(o);
  }
  const next = byEtherType(type);
  return next == L_NONE ? NOT_IP : handOff(next, o + 2, end);
}

// AssemblyScript: an MPLS label stack (4 bytes a label; the bottom-of-stack bit ends it). What follows has no
// type field: the first nibble tells IPv4 (4) from IPv6 (6); 0 is a pseudowire control word, then Ethernet.
import { MALFORMED, NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { T_MPLS } from '../../track/decode-tally-layout';
import { be32, handOff, L_ETHERNET, L_IPV4, L_IPV6 } from './layer';
import { noteTunnel } from './tunnel-note';

/** Real stacks hold a handful of labels; a longer one is a garbled frame. */
const MAX_LABELS = 16;

export function analyzeMpls(p: usize, end: usize): i32 {
  let o = p;
  for (let n = 0; ; n++) {
    if (n == MAX_LABELS) return MALFORMED;
    if (o + 4 > end) return TRUNCATED;
    const entry = be32(o);
    o += 4;
    // The bottom label names the service (the VPN or pseudowire); the ones above it change hop by hop.
    if ((entry & 0x100) != 0) {
      noteTunnel(T_MPLS, entry >>> 12, true);
      break;
    }
  }
  if (o >= end) return TRUNCATED;
  const nibble = load<u8>(o) >> 4;
  if (nibble == 4) return handOff(L_IPV4, o, end);
  if (nibble == 6) return handOff(L_IPV6, o, end);
  if (nibble == 0) return o + 4 > end ? TRUNCATED : handOff(L_ETHERNET, o + 4, end);
  return NOT_IP;
}

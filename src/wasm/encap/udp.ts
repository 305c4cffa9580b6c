// AssemblyScript: UDP, only as the carrier of a tunnel (VXLAN, Geneve, GTP-U), chosen by port.
import { MALFORMED, NOT_TCP, TRUNCATED } from '../../decode/decode-status';
import { byUdpPort } from './dispatch';
import { be16, handOff, L_NONE } from './layer';

export function analyzeUdp(p: usize, end: usize): i32 {
  if (p + 8 > end) return TRUNCATED;
  let next = byUdpPort(be16(p + 2));
  if (next == L_NONE) next = byUdpPort(be16(p));
  if (next == L_NONE) return NOT_TCP;
  const len = <usize>be16(p + 4);
  // Length 0 is legal for UDP over IPv6 jumbograms and in TSO captures: the IP length bounds it then.
  if (len != 0 && len < 8) return MALFORMED;
  const datagramEnd = len == 0 || p + len > end ? end : p + len;
  return handOff(next, p + 8, datagramEnd);
}

// AssemblyScript: VXLAN (RFC 7348): 8 bytes (flags with I = 0x08, 24-bit VNI), then an Ethernet frame.
import { TRUNCATED } from '../../decode/decode-status';
import { T_VXLAN } from '../../track/decode-tally-layout';
import { be32, handOff, L_ETHERNET } from './layer';
import { noteTunnel } from './tunnel-note';

export function analyzeVxlan(p: usize, end: usize): i32 {
  if (p + 8 > end) return TRUNCATED;
  // Without the I flag the VNI field is reserved: the tunnel is still VXLAN, its id unknown.
  const hasVni = (load<u8>(p) & 0x08) != 0;
  noteTunnel(T_VXLAN, be32(p + 4) >>> 8, hasVni);
  return handOff(L_ETHERNET, p + 8, end);
}

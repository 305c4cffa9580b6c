// AssemblyScript: Geneve (RFC 8926): 8 bytes plus options (length in 4-byte units, low 6 bits of byte 0), then
// the protocol type says what follows (0x6558 Ethernet, or an ethertype such as IPv4/IPv6).
import { MALFORMED, NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { T_GENEVE } from '../../track/decode-tally-layout';
import { byEtherType } from './dispatch';
import { be16, be32, handOff, L_NONE } from './layer';
import { noteTunnel } from './tunnel-note';

export function analyzeGeneve(p: usize, end: usize): i32 {
  if (p + 8 > end) return TRUNCATED;
  const first = <i32>load<u8>(p);
  if (first >> 6 != 0) return MALFORMED; // only version 0 exists
  noteTunnel(T_GENEVE, be32(p + 4) >>> 8, true);
  const inner = p + 8 + (<usize>(first & 0x3f) << 2);
  if (inner > end) return TRUNCATED;
  const next = byEtherType(be16(p + 2));
  return next == L_NONE ? NOT_IP : handOff(next, inner, end);
}

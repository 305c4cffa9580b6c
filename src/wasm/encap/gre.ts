// AssemblyScript: GRE (RFC 2784, key and sequence from RFC 2890): 4 bytes, plus 4 for each of the checksum,
// key and sequence bits; the protocol type says what follows. ERSPAN rides on GRE: type I is 0x88BE without
// a sequence number (the mirrored frame follows at once), type II is 0x88BE with one, type III is 0x22EB.
import { NOT_IP, NOT_TCP, TRUNCATED } from '../../decode/decode-status';
import { T_ERSPAN1, T_GRE } from '../../track/decode-tally-layout';
import { byEtherType } from './dispatch';
import { be16, be32, handOff, L_ERSPAN2, L_ERSPAN3, L_ETHERNET, L_NONE } from './layer';
import { noteTunnel } from './tunnel-note';

const GRE_C: i32 = 0x80;
const GRE_R: i32 = 0x40;
const GRE_K: i32 = 0x20;
const GRE_S: i32 = 0x10;

export function analyzeGre(p: usize, end: usize): i32 {
  if (p + 4 > end) return TRUNCATED;
  const flags = <i32>load<u8>(p);
  // Version 1 is PPTP's enhanced GRE, and the routing bit (RFC 1701 source routes) is obsolete: neither carries mirrors.
  if ((load<u8>(p + 1) & 0x07) != 0 || (flags & GRE_R) != 0) return NOT_TCP;
  const protocol = be16(p + 2);
  let o = p + 4;
  if ((flags & GRE_C) != 0) o += 4;
  const keyAt = o;
  if ((flags & GRE_K) != 0) o += 4;
  if ((flags & GRE_S) != 0) o += 4;
  if (o > end) return TRUNCATED;
  const hasKey = (flags & GRE_K) != 0;
  const key = hasKey ? be32(keyAt) : 0;
  if (protocol == 0x88be) {
    if ((flags & GRE_S) != 0) return handOff(L_ERSPAN2, o, end);
    noteTunnel(T_ERSPAN1, key, hasKey);
    return handOff(L_ETHERNET, o, end);
  }
  if (protocol == 0x22eb) return handOff(L_ERSPAN3, o, end);
  noteTunnel(T_GRE, key, hasKey);
  const next = byEtherType(protocol);
  return next == L_NONE ? NOT_IP : handOff(next, o, end);
}

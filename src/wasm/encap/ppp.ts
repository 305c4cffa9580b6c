// AssemblyScript: PPP frames (LINKTYPE_PPP, PPP_HDLC): an optional 0xFF 0x03 address/control prefix, then the
// protocol in 1 byte (when its low bit is set: the compressed form) or 2.
import { NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { byPppProtocol } from './dispatch';
import { be16, handOff, L_NONE } from './layer';

export function analyzePpp(p: usize, end: usize): i32 {
  let o = p;
  if (o + 2 > end) return TRUNCATED;
  if (load<u8>(o) == 0xff && load<u8>(o + 1) == 0x03) o += 2;
  if (o + 1 > end) return TRUNCATED;
  let protocol: i32;
  if ((load<u8>(o) & 1) != 0) {
    protocol = <i32>load<u8>(o);
    o += 1;
  } else {
    if (o + 2 > end) return TRUNCATED;
    protocol = be16(o);
    o += 2;
  }
  const next = byPppProtocol(protocol);
  return next == L_NONE ? NOT_IP : handOff(next, o, end);
}

// AssemblyScript: GTP-U v1 (3GPP TS 29.281), mobile cores' user plane: 8 bytes (flags, message type, length,
// TEID), 4 more when any of E/S/PN is set, then the extension-header chain; only a G-PDU (type 0xFF) carries
// the subscriber's IP packet.
import { MALFORMED, NOT_TCP, TRUNCATED } from '../../decode/decode-status';
import { T_GTPU } from '../../track/decode-tally-layout';
import { be16, be32, handOff, L_IP } from './layer';
import { noteTunnel } from './tunnel-note';

const MAX_EXTENSIONS = 16;

export function analyzeGtpu(p: usize, end: usize): i32 {
  if (p + 8 > end) return TRUNCATED;
  const flags = <i32>load<u8>(p);
  // Version 1 with PT = 1 (GTP, not GTP'); anything else on port 2152 is not user data.
  if ((flags & 0xf0) != 0x30 || load<u8>(p + 1) != 0xff) return NOT_TCP;
  noteTunnel(T_GTPU, be32(p + 4), true);
  const lengthEnd = p + 8 + <usize>be16(p + 2);
  const pduEnd = lengthEnd < end ? lengthEnd : end;
  let o = p + 8;
  if ((flags & 0x07) != 0) {
    if (o + 4 > end) return TRUNCATED;
    let nextType = (flags & 0x04) != 0 ? <i32>load<u8>(o + 3) : 0;
    o += 4;
    for (let n = 0; nextType != 0; n++) {
      if (n == MAX_EXTENSIONS) return MALFORMED;
      if (o + 1 > end) return TRUNCATED;
      const len = <usize>load<u8>(o) << 2;
      if (len == 0) return MALFORMED;
      if (o + len > end) return TRUNCATED;
      nextType = <i32>load<u8>(o + len - 1);
      o += len;
    }
  }
  return handOff(L_IP, o, pduEnd);
}

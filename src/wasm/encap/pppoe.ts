// AssemblyScript: a PPPoE session frame (RFC 2516): 6 bytes (version/type 0x11, code 0, session id, length),
// then the PPP protocol (2 bytes).
import { MALFORMED, NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { T_PPPOE } from '../../track/decode-tally-layout';
import { byPppProtocol } from './dispatch';
import { be16, handOff, L_NONE } from './layer';
import { noteTunnel } from './tunnel-note';

export function analyzePppoe(p: usize, end: usize): i32 {
  if (p + 8 > end) return TRUNCATED;
  if (load<u8>(p) != 0x11 || load<u8>(p + 1) != 0) return MALFORMED;
  noteTunnel(T_PPPOE, <u32>be16(p + 2), true);
  // The length covers the PPP protocol and payload; Ethernet padding may follow it.
  const len = <usize>be16(p + 4);
  const sessionEnd = p + 6 + len < end ? p + 6 + len : end;
  const next = byPppProtocol(be16(p + 6));
  return next == L_NONE ? NOT_IP : handOff(next, p + 8, sessionEnd);
}

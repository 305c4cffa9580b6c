// AssemblyScript: ERSPAN headers inside GRE, each followed by the mirrored Ethernet frame.
// Type II: 8 bytes (version 1; 10-bit session id in bytes 2-3). Type III: 12 bytes (version 2; same session
// id), then 8 more when the O bit (lowest bit of byte 11) announces a platform-specific sub-header.
import { MALFORMED, NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { T_ERSPAN2, T_ERSPAN3 } from '../../track/decode-tally-layout';
import { be16, handOff, L_ETHERNET } from './layer';
import { noteTunnel } from './tunnel-note';

@inline function sessionId(p: usize): u32 {
  return <u32>(be16(p + 2) & 0x3ff);
}

export function analyzeErspan2(p: usize, end: usize): i32 {
  if (p + 8 > end) return TRUNCATED;
  if (load<u8>(p) >> 4 != 1) return MALFORMED;
  noteTunnel(T_ERSPAN2, sessionId(p), true);
  return handOff(L_ETHERNET, p + 8, end);
}

export function analyzeErspan3(p: usize, end: usize): i32 {
  if (p + 12 > end) return TRUNCATED;
  if (load<u8>(p) >> 4 != 2) return MALFORMED;
  noteTunnel(T_ERSPAN3, sessionId(p), true);
  // Frame type (bits 2-6 of byte 10): 0 is Ethernet; 2 (IP) is not something mirrors send.
  if (((load<u8>(p + 10) >> 2) & 0x1f) != 0) return NOT_IP;
  const inner = p + 12 + ((load<u8>(p + 11) & 1) != 0 ? 8 : 0);
  if (inner > end) return TRUNCATED;
  return handOff(L_ETHERNET, inner, end);
}

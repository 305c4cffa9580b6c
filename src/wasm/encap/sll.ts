// AssemblyScript: Linux "cooked" headers (tcpdump -i any): SLL (16 bytes, protocol last) and SLL2 (20, protocol first).
import { NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { byEtherType } from './dispatch';
import { be16, handOff, L_NONE } from './layer';

function byProtocol(type: i32, inner: usize, end: usize): i32 {
  const next = byEtherType(type);
  return next == L_NONE ? NOT_IP : handOff(next, inner, end);
}

export function analyzeSll(p: usize, end: usize): i32 {
  if (p + 16 > end) return TRUNCATED;
  return byProtocol(be16(p + 14), p + 16, end);
}

export function analyzeSll2(p: usize, end: usize): i32 {
  if (p + 20 > end) return TRUNCATED;
  return byProtocol(be16(p), p + 20, end);
}

// AssemblyScript: NFLOG (LINKTYPE_NFLOG: `tcpdump -i nflog:N` after an `nft … log group N` rule): 4 bytes
// (address family, version, group in network order), then TLVs whose length (header included) and type are
// in the capturing host's byte order (little-endian on every host kad runs on), each padded to 4 bytes.
// Type 9 holds the logged IP packet, type 10 the rule's log prefix: the firewall's own view of that packet.
import { MALFORMED, NOT_IP, TRUNCATED } from '../../decode/decode-status';
import { T_NFLOG } from '../../track/decode-tally-layout';
import { be16, handOff, L_IPV4, L_IPV6 } from './layer';
import { noteTunnel, noteTunnelPrefix } from './tunnel-note';

const NFULA_PAYLOAD: i32 = 9;
const NFULA_PREFIX: i32 = 10;
/** A logged packet carries about ten attributes; many more is a garbled frame. */
const MAX_TLVS = 64;

export function analyzeNflog(p: usize, end: usize): i32 {
  if (p + 4 > end) return TRUNCATED;
  const family = load<u8>(p);
  if (family != 2 && family != 10) return NOT_IP;
  noteTunnel(T_NFLOG, <u32>be16(p + 2), true);
  let o = p + 4;
  for (let n = 0; n < MAX_TLVS; n++) {
    if (o + 4 > end) return TRUNCATED;
    const len = <usize>load<u16>(o);
    const type = <i32>load<u16>(o + 2) & 0x7fff; // the top bit marks nested attributes
    if (len < 4) return MALFORMED;
    const value = o + 4;
    const valueEnd = o + len < end ? o + len : end;
    if (type == NFULA_PREFIX) {
      // NUL-terminated as the kernel sends it.
      let q = value;
      while (q < valueEnd && load<u8>(q) != 0) q++;
      noteTunnelPrefix(value, <i32>(q - value));
    } else if (type == NFULA_PAYLOAD) {
      return handOff(family == 2 ? L_IPV4 : L_IPV6, value, valueEnd);
    }
    o += (len + 3) & ~3;
  }
  return MALFORMED;
}

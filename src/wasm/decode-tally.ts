// AssemblyScript: per capture (one tracker instance per file), the tunnels
// TCP packets came through and the IP lengths that overran their frame.
// A fixed region: a capture full of distinct tunnels lists the first
// TALLY_MAX and only counts the rest.
import {
  TALLY_BYTES, TALLY_COUNT, TALLY_ENTRIES, TALLY_LENGTH_BEYOND_FRAME, TALLY_MAX, TALLY_OTHER, TE_BYTES, TE_DST, TE_HAS_ID,
  TE_ID, TE_IPVER, TE_KIND, TE_PACKETS, TE_PREFIX, TE_PREFIX_LEN, TE_PREFIX_MAX, TE_SRC,
} from '../track/decode-tally-layout';
import {
  tunnelHasId, tunnelId, tunnelIpAt, tunnelIpVersion, tunnelKind, tunnelPrefixAt, tunnelPrefixLen,
} from './encap/tunnel-note';

const tallyAt: usize = memory.data(TALLY_BYTES, 16);

export function decodeTallyAddress(): usize {
  return tallyAt;
}

@inline function bump(at: usize): void {
  store<u32>(at, load<u32>(at) + 1);
}

export function countLengthBeyondFrame(): void {
  bump(tallyAt + TALLY_LENGTH_BEYOND_FRAME);
}

/** Where an IP header keeps its addresses, and how many bytes each. */
@inline function addrOffset(version: i32): usize {
  return version == 4 ? 12 : 8;
}
@inline function addrBytes(version: i32): usize {
  return version == 4 ? 4 : version == 6 ? 16 : 0;
}

function sameBytes(a: usize, b: usize, n: usize): bool {
  for (let k: usize = 0; k < n; k++) if (load<u8>(a + k) != load<u8>(b + k)) return false;
  return true;
}

function matches(e: usize): bool {
  const version = tunnelIpVersion;
  if (<i32>load<u8>(e + TE_KIND) != tunnelKind || load<u32>(e + TE_ID) != tunnelId) return false;
  if (<i32>load<u8>(e + TE_IPVER) != version || (load<u8>(e + TE_HAS_ID) != 0) != tunnelHasId) return false;
  const n = addrBytes(version);
  const ip = tunnelIpAt + addrOffset(version);
  if (!sameBytes(e + TE_SRC, ip, n) || !sameBytes(e + TE_DST, ip + n, n)) return false;
  const plen = <usize>load<u8>(e + TE_PREFIX_LEN);
  return plen == prefixLength() && sameBytes(e + TE_PREFIX, tunnelPrefixAt, plen);
}

@inline function prefixLength(): usize {
  const n = <usize>tunnelPrefixLen;
  return n < <usize>TE_PREFIX_MAX ? n : <usize>TE_PREFIX_MAX;
}

/** Counts the frame's TCP packet against the tunnel it came through (tunnel-note.ts). */
export function tallyTunnel(): void {
  const count = load<u32>(tallyAt + TALLY_COUNT);
  for (let k: u32 = 0; k < count; k++) {
    const e = tallyAt + TALLY_ENTRIES + <usize>k * TE_BYTES;
    if (matches(e)) {
      bump(e + TE_PACKETS);
      return;
    }
  }
  if (count == TALLY_MAX) {
    bump(tallyAt + TALLY_OTHER);
    return;
  }
  const e = tallyAt + TALLY_ENTRIES + <usize>count * TE_BYTES;
  const version = tunnelIpVersion;
  const n = addrBytes(version);
  const ip = tunnelIpAt + addrOffset(version);
  store<u32>(e + TE_PACKETS, 1);
  store<u8>(e + TE_KIND, <u8>tunnelKind);
  store<u8>(e + TE_IPVER, <u8>version);
  store<u8>(e + TE_HAS_ID, tunnelHasId ? 1 : 0);
  store<u32>(e + TE_ID, tunnelId);
  memory.copy(e + TE_SRC, ip, n);
  memory.copy(e + TE_DST, ip + n, n);
  const plen = prefixLength();
  store<u8>(e + TE_PREFIX_LEN, <u8>plen);
  memory.copy(e + TE_PREFIX, tunnelPrefixAt, plen);
  store<u32>(tallyAt + TALLY_COUNT, count + 1);
}

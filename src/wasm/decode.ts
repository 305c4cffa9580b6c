// AssemblyScript: frame → DecodedTcp block. The same rules as Wireshark's
// dissectors for what this tool needs (see decode-frame.ts for the JavaScript face).
import { DECODED_TCP, IP_FRAGMENT, MALFORMED, NOT_IP, NOT_TCP, TRUNCATED, UNKNOWN_LINK } from '../decode/decode-status';
import {
  P_ACK, P_DF, P_DPORT, P_DST, P_FLAGS, P_IPID, P_IPLEN, P_IPVER, P_MSS, P_PAYLOAD, P_SACKPERM, P_SEQ, P_SNAPPED,
  P_SPORT, P_SRC, P_TIMESTAMPS, P_TTL, P_WINDOW, P_WSCALE,
} from '../decode/decoded-layout';
import {
  DLT_RAW_12, DLT_RAW_14, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
} from '../capture/link-types';

const IPPROTO_TCP: u32 = 6;
const NET_BY_VERSION: i32 = 0;
const NET_IPV4: i32 = 4;
const NET_IPV6: i32 = 6;

@inline function be16(p: usize): i32 {
  return (<i32>load<u8>(p) << 8) | <i32>load<u8>(p + 1);
}
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// Result of peeling the link layer.
let netOffset: usize = 0;
let netKind: i32 = 0;

function fromEtherType(type: i32, offset: usize): i32 {
  if (type == 0x0800) netKind = NET_IPV4;
  else if (type == 0x86dd) netKind = NET_IPV6;
  else return NOT_IP;
  netOffset = offset;
  return 0;
}

/** BSD address families differ per OS for IPv6; all of these mean IPv6 in a DLT_NULL/LOOP header. */
function fromAddressFamily(af: u32, offset: usize): i32 {
  if (af == 2) netKind = NET_IPV4;
  else if (af == 24 || af == 28 || af == 30 || af == 10) netKind = NET_IPV6;
  else return NOT_IP;
  netOffset = offset;
  return 0;
}

function locateNetworkLayer(start: usize, capLen: i32, linkType: i32): i32 {
  const end = start + <usize>capLen;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (capLen < 14) return TRUNCATED;
      let o = start + 12;
      let type = be16(o);
      // 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag: skip any stack of tags.
      while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        o += 4;
        if (o + 2 > end) return TRUNCATED;
        type = be16(o);
      }
      return fromEtherType(type, o + 2);
    }
    case LINKTYPE_LINUX_SLL: {
      if (capLen < 16) return TRUNCATED;
      return fromEtherType(be16(start + 14), start + 16);
    }
    case LINKTYPE_LINUX_SLL2: {
      if (capLen < 20) return TRUNCATED;
      return fromEtherType(be16(start), start + 20);
    }
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
      netOffset = start;
      netKind = NET_BY_VERSION;
      return 0;
    case LINKTYPE_IPV4:
      netOffset = start;
      netKind = NET_IPV4;
      return 0;
    case LINKTYPE_IPV6:
      netOffset = start;
      netKind = NET_IPV6;
      return 0;
    case LINKTYPE_NULL: {
      if (capLen < 4) return TRUNCATED;
      // The family is in the capturing host's byte order; a real family value
      // fits in the low 16 bits, so whichever order yields that is the right one.
      let af = load<u32>(start);
      if (af >>> 16 != 0) af = be32(start);
      return fromAddressFamily(af, start + 4);
    }
    case LINKTYPE_LOOP: {
      if (capLen < 4) return TRUNCATED;
      return fromAddressFamily(be32(start), start + 4);
    }
    default:
      return UNKNOWN_LINK;
  }
}

/** Decode the frame at `start` into the DecodedTcp block at `out`; DECODED_TCP or why not. */
export function decodeFrame(start: usize, capLen: i32, linkType: i32, out: usize): i32 {
  const status = locateNetworkLayer(start, capLen, linkType);
  if (status != 0) return status;
  const end = start + <usize>capLen;
  const ip = netOffset;
  if (ip >= end) return TRUNCATED;
  let net = netKind;
  const version = <i32>load<u8>(ip) >> 4;
  if (net == NET_BY_VERSION) {
    if (version == 4) net = NET_IPV4;
    else if (version == 6) net = NET_IPV6;
    else return NOT_IP;
  } else if (version != net) {
    return MALFORMED;
  }
  return net == NET_IPV4 ? decodeIPv4(ip, end, out) : decodeIPv6(ip, end, out);
}

function decodeIPv4(ip: usize, end: usize, out: usize): i32 {
  if (ip + 20 > end) return TRUNCATED;
  const ihl = (<i32>load<u8>(ip) & 0x0f) * 4;
  if (ihl < 20) return MALFORMED;
  let totalLen = be16(ip + 2);
  const fragField = be16(ip + 6);
  // Only a whole datagram carries a usable TCP header + length; fragments are counted, not reassembled.
  if ((fragField & 0x3fff) != 0) return IP_FRAGMENT;
  if (<u32>load<u8>(ip + 9) != IPPROTO_TCP) return NOT_TCP;
  // TSO/GRO captures on the sending host often show a total length of 0.
  if (totalLen == 0) totalLen = <i32>(end - ip);
  if (totalLen < ihl) return MALFORMED;
  store<u8>(out + P_IPVER, 4);
  store<u8>(out + P_TTL, load<u8>(ip + 8));
  store<i32>(out + P_IPID, be16(ip + 4));
  store<u8>(out + P_DF, (fragField & 0x4000) != 0 ? 1 : 0);
  store<i32>(out + P_IPLEN, totalLen);
  store<u32>(out + P_SRC, be32(ip + 12));
  store<u32>(out + P_SRC + 4, 0);
  store<u64>(out + P_SRC + 8, 0);
  store<u32>(out + P_DST, be32(ip + 16));
  store<u32>(out + P_DST + 4, 0);
  store<u64>(out + P_DST + 8, 0);
  return decodeTcp(ip + <usize>ihl, ip + <usize>totalLen, end, out);
}

function decodeIPv6(ip: usize, end: usize, out: usize): i32 {
  if (ip + 40 > end) return TRUNCATED;
  let payloadLen = be16(ip + 4);
  if (payloadLen == 0) payloadLen = <i32>(end - ip) - 40; // jumbogram or TSO: trust what was captured
  let next = <u32>load<u8>(ip + 6);
  let o = ip + 40;
  const datagramEnd = ip + 40 + <usize>payloadLen;
  // Walk the extension header chain to the transport header.
  for (let hops = 0; next != IPPROTO_TCP; hops++) {
    if (hops > 16) return MALFORMED;
    switch (next) {
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
        if (o + 8 > end) return TRUNCATED;
        next = load<u8>(o);
        o += (<usize>load<u8>(o + 1) + 1) * 8;
        break;
      case 44: {
        // fragment header: only an unfragmented "atomic" fragment is usable
        if (o + 8 > end) return TRUNCATED;
        if ((be16(o + 2) & 0xfff9) != 0) return IP_FRAGMENT;
        next = load<u8>(o);
        o += 8;
        break;
      }
      case 51: // AH: length in 4-octet units minus 2
        if (o + 8 > end) return TRUNCATED;
        next = load<u8>(o);
        o += (<usize>load<u8>(o + 1) + 2) * 4;
        break;
      default:
        return NOT_TCP;
    }
    if (o > datagramEnd) return MALFORMED;
  }
  store<u8>(out + P_IPVER, 6);
  store<u8>(out + P_TTL, load<u8>(ip + 7));
  store<i32>(out + P_IPID, -1);
  store<u8>(out + P_DF, 0);
  store<i32>(out + P_IPLEN, 40 + payloadLen);
  for (let k: usize = 0; k < 16; k += 4) {
    store<u32>(out + P_SRC + k, be32(ip + 8 + k));
    store<u32>(out + P_DST + k, be32(ip + 24 + k));
  }
  return decodeTcp(o, datagramEnd, end, out);
}

function decodeTcp(t: usize, segEnd: usize, capEnd: usize, out: usize): i32 {
  if (t + 20 > capEnd) return TRUNCATED;
  const hdrLen = (<i32>load<u8>(t + 12) >> 4) * 4;
  if (hdrLen < 20 || t + <usize>hdrLen > segEnd) return MALFORMED;
  store<u16>(out + P_SPORT, <u16>be16(t));
  store<u16>(out + P_DPORT, <u16>be16(t + 2));
  store<u32>(out + P_SEQ, be32(t + 4));
  store<u32>(out + P_ACK, be32(t + 8));
  store<u8>(out + P_FLAGS, load<u8>(t + 13));
  store<u16>(out + P_WINDOW, <u16>be16(t + 14));
  store<i32>(out + P_PAYLOAD, <i32>(segEnd - t) - hdrLen);
  store<u8>(out + P_SNAPPED, segEnd > capEnd ? 1 : 0);
  store<i32>(out + P_MSS, -1);
  store<i32>(out + P_WSCALE, -1);
  store<u8>(out + P_SACKPERM, 0);
  store<u8>(out + P_TIMESTAMPS, 0);
  // Most segments after the handshake carry exactly NOP, NOP, timestamps: no need to walk the list.
  if (hdrLen == 32 && t + 24 <= capEnd && load<u32>(t + 20) == 0x0a080101) {
    store<u8>(out + P_TIMESTAMPS, t + 32 <= capEnd ? 1 : 0);
  } else if (hdrLen > 20) {
    const optEnd = t + <usize>hdrLen;
    parseOptions(t + 20, optEnd < capEnd ? optEnd : capEnd, out);
  }
  return DECODED_TCP;
}

function parseOptions(o: usize, end: usize, out: usize): void {
  while (o < end) {
    const kind = load<u8>(o);
    if (kind == 0) return; // end of option list
    if (kind == 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = <usize>load<u8>(o + 1);
    if (len < 2 || o + len > end) return; // malformed or cut by the snaplen: keep what we have
    switch (kind) {
      case 2:
        if (len == 4) store<i32>(out + P_MSS, be16(o + 2));
        break;
      case 3:
        if (len == 3) store<i32>(out + P_WSCALE, load<u8>(o + 2));
        break;
      case 4:
        store<u8>(out + P_SACKPERM, 1);
        break;
      case 8:
        if (len == 10) store<u8>(out + P_TIMESTAMPS, 1);
        break;
    }
    o += len;
  }
}

// AssemblyScript: frame → DecodedTcp block. The same rules as Wireshark's
// dissectors for what this tool needs (see decode-frame.ts for the JavaScript face).
// The link layer and any tunnels are peeled by the analyzers in encap/, one per
// header, each handing the inner packet to the next through encap/dispatch.ts;
// IP and TCP, where every frame ends up, are read here.
import { DECODED_TCP, IP_FRAGMENT, MALFORMED, NOT_IP, NOT_TCP, TRUNCATED, UNKNOWN_LINK } from '../decode/decode-status';
import {
  P_ACK, P_DF, P_DPORT, P_DST, P_FLAGS, P_IPID, P_IPLEN, P_IPVER, P_MSS, P_PAYLOAD, P_SACKPERM, P_SEQ, P_SNAPPED,
  P_SPORT, P_SRC, P_TIMESTAMPS, P_TTL, P_WINDOW, P_WSCALE,
} from '../decode/decoded-layout';
import { LINKTYPE_ETHERNET } from '../capture/link-types';
import { countLengthBeyondFrame, tallyTunnel } from './decode-tally';
import { byIpProtocol, byLinkType } from './encap/dispatch';
import { analyzeErspan2, analyzeErspan3 } from './encap/erspan';
import { analyzeEthernet } from './encap/ethernet';
import { analyzeGeneve } from './encap/geneve';
import { analyzeGre } from './encap/gre';
import { analyzeGtpu } from './encap/gtpu';
import { analyzeIpip4, analyzeIpip6 } from './encap/ip-in-ip';
import { analyzeIpoib } from './encap/ipoib';
import {
  be16, be32, CONTINUE, handOff, L_ERSPAN2, L_ERSPAN3, L_ETHERNET, L_GENEVE, L_GRE, L_GTPU, L_IP, L_IPIP4, L_IPIP6,
  L_IPOIB, L_IPV4, L_IPV6, L_LOOP, L_MPLS, L_NFLOG, L_NONE, L_NULL, L_PPP, L_PPPOE, L_SLL, L_SLL2, L_UDP, L_VXLAN,
  nextAt, nextEnd, nextKind, setCarrierIp,
} from './encap/layer';
import { analyzeMpls } from './encap/mpls';
import { analyzeNflog } from './encap/nflog';
import { analyzeLoop, analyzeNull } from './encap/null-loop';
import { analyzePpp } from './encap/ppp';
import { analyzePppoe } from './encap/pppoe';
import { analyzeSll, analyzeSll2 } from './encap/sll';
import { analyzeUdp } from './encap/udp';
import { analyzeVxlan } from './encap/vxlan';
import { clearTunnel, tunnelKind } from './encap/tunnel-note';
import { addFragment, fragKept, fragTotal } from './ip-fragments';

const IPPROTO_TCP: i32 = 6;
/**
 * Headers peeled per frame at most. The deepest real stack (VLAN-tagged Ethernet, IP, UDP, VXLAN, Ethernet,
 * MPLS, IP) is seven; a crafted capture nesting tunnels in tunnels must end, not loop.
 */
const MAX_LAYERS = 12;

/**
 * Where the bytes of the current IP datagram may end: the frame's wire length at the outermost layer, the
 * carrying datagram's end inside a tunnel. An IP length beyond it is not to be believed (issue 21, item 14).
 */
let wireEnd: usize = 0;
/** Some IP length of this frame ran past wireEnd. */
let overran = false;

/** Decode the frame at `start` into the DecodedTcp block at `out`; DECODED_TCP or why not. */
export function decodeFrame(start: usize, capLen: i32, wireLen: i32, linkType: i32, out: usize): i32 {
  const end = start + <usize>capLen;
  // WIRE_LENGTH_UNKNOWN (-1 here): nothing to hold the IP length against.
  wireEnd = wireLen == -1 ? <usize>-1 : start + <usize>(wireLen > capLen ? wireLen : capLen);
  overran = false;
  clearTunnel();
  setCarrierIp(0, 0);
  let status: i32;
  // Nearly every frame is untagged Ethernet carrying IP: straight to it, without the dispatch.
  const etherType = linkType == LINKTYPE_ETHERNET && capLen >= 14 ? be16(start + 12) : 0;
  if (etherType == 0x0800) {
    status = decodeIPv4(start + 14, end, out);
  } else if (etherType == 0x86dd) {
    status = decodeIPv6(start + 14, end, out);
  } else {
    const kind = byLinkType(linkType);
    if (kind == L_NONE) return UNKNOWN_LINK;
    status = handOff(kind, start, end);
  }
  for (let n = 0; status == CONTINUE; n++) {
    if (n == MAX_LAYERS) return MALFORMED;
    status = analyze(nextKind, nextAt, nextEnd, out);
  }
  if (status == DECODED_TCP) {
    if (tunnelKind != 0) tallyTunnel();
    if (overran) countLengthBeyondFrame();
  }
  return status;
}

function analyze(kind: i32, p: usize, end: usize, out: usize): i32 {
  switch (kind) {
    case L_ETHERNET: return analyzeEthernet(p, end);
    case L_IPV4: return decodeIPv4(p, end, out);
    case L_IPV6: return decodeIPv6(p, end, out);
    case L_IP: return decodeIp(p, end, out);
    case L_SLL: return analyzeSll(p, end);
    case L_SLL2: return analyzeSll2(p, end);
    case L_NULL: return analyzeNull(p, end);
    case L_LOOP: return analyzeLoop(p, end);
    case L_UDP: return analyzeUdp(p, end);
    case L_VXLAN: return analyzeVxlan(p, end);
    case L_GENEVE: return analyzeGeneve(p, end);
    case L_GRE: return analyzeGre(p, end);
    case L_ERSPAN2: return analyzeErspan2(p, end);
    case L_ERSPAN3: return analyzeErspan3(p, end);
    case L_MPLS: return analyzeMpls(p, end);
    case L_PPPOE: return analyzePppoe(p, end);
    case L_PPP: return analyzePpp(p, end);
    case L_GTPU: return analyzeGtpu(p, end);
    case L_IPIP4: return analyzeIpip4(p, end);
    case L_IPIP6: return analyzeIpip6(p, end);
    case L_NFLOG: return analyzeNflog(p, end);
    case L_IPOIB: return analyzeIpoib(p, end);
    default: return NOT_IP;
  }
}

/** IP whose version only its first nibble tells (RAW link types, GTP-U, NFLOG). */
function decodeIp(ip: usize, end: usize, out: usize): i32 {
  if (ip >= end) return TRUNCATED;
  const version = <i32>load<u8>(ip) >> 4;
  if (version == 4) return decodeIPv4(ip, end, out);
  if (version == 6) return decodeIPv6(ip, end, out);
  return NOT_IP;
}

/**
 * The datagram's length as stated, unless it runs past the bytes the frame (or the carrying datagram) had on
 * the wire: then the frame is trusted, as tshark does, and a TCP packet in it counted (issue 21, item 14). A frame
 * cut by the snaplen keeps its stated length up to its wire length.
 */
function trustedLength(ip: usize, stated: i32): i32 {
  if (ip + <usize>stated <= wireEnd) return stated;
  overran = true;
  return <i32>(wireEnd - ip);
}

/** A non-TCP IP payload: a tunnel for an analyzer in encap/, or not TCP at all. */
function carried(protocol: i32, ip: usize, version: i32, inner: usize, datagramEnd: usize, end: usize): i32 {
  const next = byIpProtocol(protocol);
  if (next == L_NONE) return NOT_TCP;
  setCarrierIp(ip, version);
  wireEnd = datagramEnd;
  return handOff(next, inner, datagramEnd < end ? datagramEnd : end);
}

function decodeIPv4(ip: usize, end: usize, out: usize): i32 {
  if (ip + 20 > end) return TRUNCATED;
  const first = <i32>load<u8>(ip);
  if (first >> 4 != 4) return MALFORMED;
  const ihl = (first & 0x0f) * 4;
  if (ihl < 20) return MALFORMED;
  let totalLen = be16(ip + 2);
  // TSO/GRO captures on the sending host often show a total length of 0.
  if (totalLen == 0) totalLen = <i32>(end - ip);
  if (totalLen < ihl) return MALFORMED;
  totalLen = trustedLength(ip, totalLen);
  const fragField = be16(ip + 6);
  const protocol = <i32>load<u8>(ip + 9);
  if ((fragField & 0x3fff) != 0) {
    if (protocol != IPPROTO_TCP) return IP_FRAGMENT;
    const payload = ip + <usize>ihl;
    const head = addFragment(4, <u32>be16(ip + 4), ip + 12, ip + 16, 4, <u32>(fragField & 0x1fff) << 3, (fragField & 0x2000) != 0, payload, <u32>(totalLen - ihl), end);
    if (head == 0) return IP_FRAGMENT;
    writeIPv4(ip, ihl + fragTotal, fragField, out);
    return decodeTcp(head, head + <usize>fragTotal, head + <usize>fragKept, out);
  }
  if (protocol != IPPROTO_TCP) return carried(protocol, ip, 4, ip + <usize>ihl, ip + <usize>totalLen, end);
  writeIPv4(ip, totalLen, fragField, out);
  return decodeTcp(ip + <usize>ihl, ip + <usize>totalLen, end, out);
}

function writeIPv4(ip: usize, totalLen: i32, fragField: i32, out: usize): void {
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
}

function decodeIPv6(ip: usize, end: usize, out: usize): i32 {
  if (ip + 40 > end) return TRUNCATED;
  if (load<u8>(ip) >> 4 != 6) return MALFORMED;
  let payloadLen = be16(ip + 4);
  if (payloadLen == 0) payloadLen = <i32>(end - ip) - 40; // jumbogram or TSO: trust what was captured
  payloadLen = trustedLength(ip, 40 + payloadLen) - 40;
  let next = <i32>load<u8>(ip + 6);
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
        if (o + 8 > end) return TRUNCATED;
        const field = be16(o + 2);
        next = load<u8>(o);
        o += 8;
        // An "atomic" fragment (offset 0, no more to come) is a whole datagram.
        if ((field & 0xfff9) == 0) break;
        if (next != IPPROTO_TCP || o > datagramEnd) return IP_FRAGMENT;
        const head = addFragment(6, be32(o - 4), ip + 8, ip + 24, 16, <u32>(field & 0xfff8), (field & 1) != 0, o, <u32>(datagramEnd - o), end);
        if (head == 0) return IP_FRAGMENT;
        writeIPv6(ip, fragTotal, out);
        return decodeTcp(head, head + <usize>fragTotal, head + <usize>fragKept, out);
      }
      case 51: // AH: length in 4-octet units minus 2
        if (o + 8 > end) return TRUNCATED;
        next = load<u8>(o);
        o += (<usize>load<u8>(o + 1) + 2) * 4;
        break;
      default:
        if (o > datagramEnd) return MALFORMED;
        return carried(next, ip, 6, o, datagramEnd, end);
    }
    if (o > datagramEnd) return MALFORMED;
  }
  writeIPv6(ip, payloadLen, out);
  return decodeTcp(o, datagramEnd, end, out);
}

function writeIPv6(ip: usize, payloadLen: i32, out: usize): void {
  store<u8>(out + P_IPVER, 6);
  store<u8>(out + P_TTL, load<u8>(ip + 7));
  store<i32>(out + P_IPID, -1);
  store<u8>(out + P_DF, 0);
  store<i32>(out + P_IPLEN, 40 + payloadLen);
  for (let k: usize = 0; k < 16; k += 4) {
    store<u32>(out + P_SRC + k, be32(ip + 8 + k));
    store<u32>(out + P_DST + k, be32(ip + 24 + k));
  }
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

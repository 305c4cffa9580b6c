import type { PacketRecord } from '../capture/packet-record.js';
import { DecodedTcp } from './decoded-tcp.js';
import * as status from './decode-status.js';
import { LinkResult, locateNetworkLayer } from './link-layer.js';
import * as linkLayer from './link-layer.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones (see tcp-tracker.ts).
const { DECODED_TCP, IP_FRAGMENT, MALFORMED, NOT_IP, NOT_TCP, TRUNCATED } = status;
const { NET_BY_VERSION, NET_IPV4, NET_IPV6 } = linkLayer;

const IPPROTO_TCP = 6;
const link = new LinkResult();

/**
 * Big-endian word at o, into to[k]. It writes rather than returns: a function
 * returning a 32-bit value that V8 does not inline boxes it in a heap number,
 * and this runs several times per packet.
 */
function word(buf: Buffer, o: number, to: Uint32Array, k: number): void {
  to[k] = (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
}

/**
 * Decode a captured frame down to TCP. Returns DECODED_TCP with `out` filled,
 * or the reason the frame is not usable TCP.
 */
export function decodeFrame(rec: PacketRecord, out: DecodedTcp): number {
  const buf = rec.buf;
  const status = locateNetworkLayer(buf, rec.offset, rec.capLen, rec.linkType, link);
  if (status !== 0) return status;
  const end = rec.offset + rec.capLen;
  const ip = link.offset;
  if (ip >= end) return TRUNCATED;
  let net = link.net;
  const version = buf[ip]! >> 4;
  if (net === NET_BY_VERSION) {
    if (version === 4) net = NET_IPV4;
    else if (version === 6) net = NET_IPV6;
    else return NOT_IP;
  } else if (version !== net) {
    return MALFORMED;
  }
  return net === NET_IPV4 ? decodeIPv4(buf, ip, end, out) : decodeIPv6(buf, ip, end, out);
}

function decodeIPv4(buf: Buffer, ip: number, end: number, out: DecodedTcp): number {
  if (ip + 20 > end) return TRUNCATED;
  const ihl = (buf[ip]! & 0x0f) * 4;
  if (ihl < 20) return MALFORMED;
  let totalLen = (buf[ip + 2]! << 8) | buf[ip + 3]!;
  const fragField = (buf[ip + 6]! << 8) | buf[ip + 7]!;
  // Only a whole datagram carries a usable TCP header + length; fragments are counted, not reassembled.
  if ((fragField & 0x3fff) !== 0) return IP_FRAGMENT;
  if (buf[ip + 9] !== IPPROTO_TCP) return NOT_TCP;
  // TSO/GRO captures on the sending host often show a total length of 0.
  if (totalLen === 0) totalLen = end - ip;
  if (totalLen < ihl) return MALFORMED;
  out.ipVersion = 4;
  out.ttl = buf[ip + 8]!;
  out.ipId = (buf[ip + 4]! << 8) | buf[ip + 5]!;
  out.df = (fragField & 0x4000) !== 0;
  out.ipLen = totalLen;
  const src = out.src;
  const dst = out.dst;
  word(buf, ip + 12, src, 0);
  src[1] = 0;
  src[2] = 0;
  src[3] = 0;
  word(buf, ip + 16, dst, 0);
  dst[1] = 0;
  dst[2] = 0;
  dst[3] = 0;
  return decodeTcp(buf, ip + ihl, ip + totalLen, end, out);
}

function decodeIPv6(buf: Buffer, ip: number, end: number, out: DecodedTcp): number {
  if (ip + 40 > end) return TRUNCATED;
  let payloadLen = (buf[ip + 4]! << 8) | buf[ip + 5]!;
  if (payloadLen === 0) payloadLen = end - ip - 40; // jumbogram or TSO: trust what was captured
  let next = buf[ip + 6]!;
  let o = ip + 40;
  const datagramEnd = ip + 40 + payloadLen;
  // Walk the extension header chain to the transport header.
  for (let hops = 0; next !== IPPROTO_TCP; hops++) {
    if (hops > 16) return MALFORMED;
    switch (next) {
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
        if (o + 8 > end) return TRUNCATED;
        next = buf[o]!;
        o += (buf[o + 1]! + 1) * 8;
        break;
      case 44: {
        // fragment header: only an unfragmented "atomic" fragment is usable
        if (o + 8 > end) return TRUNCATED;
        const fo = (buf[o + 2]! << 8) | buf[o + 3]!;
        if ((fo & 0xfff9) !== 0) return IP_FRAGMENT;
        next = buf[o]!;
        o += 8;
        break;
      }
      case 51: // AH: length in 4-octet units minus 2
        if (o + 8 > end) return TRUNCATED;
        next = buf[o]!;
        o += (buf[o + 1]! + 2) * 4;
        break;
      default:
        return NOT_TCP;
    }
    if (o > datagramEnd) return MALFORMED;
  }
  out.ipVersion = 6;
  out.ttl = buf[ip + 7]!;
  out.ipId = -1;
  out.df = false;
  out.ipLen = 40 + payloadLen;
  const src = out.src;
  const dst = out.dst;
  word(buf, ip + 8, src, 0);
  word(buf, ip + 12, src, 1);
  word(buf, ip + 16, src, 2);
  word(buf, ip + 20, src, 3);
  word(buf, ip + 24, dst, 0);
  word(buf, ip + 28, dst, 1);
  word(buf, ip + 32, dst, 2);
  word(buf, ip + 36, dst, 3);
  return decodeTcp(buf, o, datagramEnd, end, out);
}

/**
 * @param t       offset of the TCP header
 * @param segEnd  end of the segment according to the IP header
 * @param capEnd  end of the captured bytes
 */
function decodeTcp(buf: Buffer, t: number, segEnd: number, capEnd: number, out: DecodedTcp): number {
  if (t + 20 > capEnd) return TRUNCATED;
  const hdrLen = (buf[t + 12]! >> 4) * 4;
  if (hdrLen < 20 || t + hdrLen > segEnd) return MALFORMED;
  out.srcPort = (buf[t]! << 8) | buf[t + 1]!;
  out.dstPort = (buf[t + 2]! << 8) | buf[t + 3]!;
  out.seq = ((buf[t + 4]! << 24) | (buf[t + 5]! << 16) | (buf[t + 6]! << 8) | buf[t + 7]!) >>> 0;
  out.ack = ((buf[t + 8]! << 24) | (buf[t + 9]! << 16) | (buf[t + 10]! << 8) | buf[t + 11]!) >>> 0;
  out.flags = buf[t + 13]!;
  out.window = (buf[t + 14]! << 8) | buf[t + 15]!;
  out.payloadLen = segEnd - t - hdrLen;
  out.snapped = segEnd > capEnd;
  out.mss = -1;
  out.wscale = -1;
  out.sackPerm = false;
  out.hasTimestamps = false;
  // Most segments after the handshake carry exactly NOP, NOP, timestamps: no need to walk the list.
  if (hdrLen === 32 && t + 24 <= capEnd && buf[t + 20] === 1 && buf[t + 21] === 1 && buf[t + 22] === 8 && buf[t + 23] === 10) {
    out.hasTimestamps = t + 32 <= capEnd;
  } else if (hdrLen > 20) {
    parseOptions(buf, t + 20, Math.min(t + hdrLen, capEnd), out);
  }
  return DECODED_TCP;
}

function parseOptions(buf: Buffer, o: number, end: number, out: DecodedTcp): void {
  while (o < end) {
    const kind = buf[o]!;
    if (kind === 0) return; // end of option list
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return;
    const len = buf[o + 1]!;
    if (len < 2 || o + len > end) return; // malformed or cut by the snaplen: keep what we have
    switch (kind) {
      case 2:
        if (len === 4) out.mss = (buf[o + 2]! << 8) | buf[o + 3]!;
        break;
      case 3:
        if (len === 3) out.wscale = buf[o + 2]!;
        break;
      case 4:
        out.sackPerm = true;
        break;
      case 8:
        if (len === 10) out.hasTimestamps = true;
        break;
    }
    o += len;
  }
}


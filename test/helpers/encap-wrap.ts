import { readFileSync } from 'node:fs';
import { parseAddr } from './capture-builder.js';
import type { RawFrame } from './capture-writer.js';

/**
 * Wraps real TCP frames in the outer headers of the encapsulations this
 * kernel cannot make itself (Geneve, GRE, ERSPAN, MPLS, PPPoE, GTP-U,
 * IP-in-IP, PPP, IPoIB, NFLOG), laid out from their RFCs and specs, not
 * from kad's decoder. Outer IPv4 headers carry correct checksums so tshark
 * takes the frames as well-formed.
 */

/** The Ethernet frames of a classic pcap file (LINKTYPE_ETHERNET, µs, little-endian: what tcpdump writes here). */
export function readEthernetPcap(path: string): RawFrame[] {
  const b = readFileSync(path);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1) throw new Error(`${path}: not a µs little-endian Ethernet pcap`);
  const out: RawFrame[] = [];
  for (let at = 24; at + 16 <= b.length;) {
    const capLen = b.readUInt32LE(at + 8);
    const tsNs = BigInt(b.readUInt32LE(at)) * 1_000_000_000n + BigInt(b.readUInt32LE(at + 4)) * 1000n;
    out.push({ tsNs, data: b.subarray(at + 16, at + 16 + capLen), origLen: b.readUInt32LE(at + 12) });
    at += 16 + capLen;
  }
  return out;
}

/** The IP packet inside an untagged Ethernet frame. */
export function ipOf(eth: Buffer): Buffer {
  return eth.subarray(14);
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Outer {
  src: string;
  dst: string;
  /** IPv4 identification of the outer header (default 0). */
  ipId?: number;
}

/** An outer IP header (v4 or v6 by the address text) around `payload`, IP protocol `protocol`. */
export function outerIp(o: Outer, protocol: number, payload: Buffer): Buffer {
  const src = parseAddr(o.src);
  const dst = parseAddr(o.dst);
  if (src.length === 16) {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(payload.length, 4);
    h[6] = protocol;
    h[7] = 64;
    src.copy(h, 8);
    dst.copy(h, 24);
    return Buffer.concat([h, payload]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(o.ipId ?? 0, 4);
  h[6] = 0x40;
  h[8] = 64;
  h[9] = protocol;
  src.copy(h, 12);
  dst.copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

/** UDP with a correct checksum (IPv6 requires one; tshark checks neither by default). */
export function outerUdp(o: Outer, sport: number, dport: number, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8 + payload.length);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(udp.length, 4);
  payload.copy(udp, 8);
  const src = parseAddr(o.src);
  const dst = parseAddr(o.dst);
  const pseudo = Buffer.alloc(src.length * 2 + 4);
  src.copy(pseudo, 0);
  dst.copy(pseudo, src.length);
  pseudo.writeUInt16BE(17, src.length * 2);
  pseudo.writeUInt16BE(udp.length, src.length * 2 + 2);
  const sum = checksum(Buffer.concat([pseudo, udp]));
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return outerIp(o, 17, udp);
}

const OUTER_MAC = Buffer.from([0x02, 0x00, 0x5e, 0x00, 0x53, 0xaa, 0x02, 0x00, 0x5e, 0x00, 0x53, 0xbb]);

/** An Ethernet header (optionally 802.1Q-tagged) of `etherType` around `payload`. */
export function ether(etherType: number, payload: Buffer, vlan?: number): Buffer {
  const tag = vlan === undefined ? Buffer.alloc(0) : Buffer.from([0x81, 0x00, vlan >> 8, vlan & 0xff]);
  const type = Buffer.alloc(2);
  type.writeUInt16BE(etherType);
  return Buffer.concat([OUTER_MAC, tag, type, payload]);
}

const ipEtherType = (ip: Buffer) => (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800);

/** RFC 7348: flags with I set, 24-bit VNI; the inner Ethernet frame follows. */
export function vxlan(o: Outer, vni: number, innerEth: Buffer, port = 4789): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUInt32BE((vni << 8) >>> 0, 4);
  const ip = outerUdp(o, 49152 + (vni & 0xfff), port, Buffer.concat([h, innerEth]));
  return ether(ipEtherType(ip), ip);
}

/** RFC 8926: version 0, options in 4-byte units, protocol type, VNI. `options` must be a multiple of 4 bytes. */
export function geneve(o: Outer, vni: number, protocol: number, inner: Buffer, options = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h[0] = options.length / 4;
  h.writeUInt16BE(protocol, 2);
  h.writeUInt32BE((vni << 8) >>> 0, 4);
  const ip = outerUdp(o, 50000, 6081, Buffer.concat([h, options, inner]));
  return ether(ipEtherType(ip), ip);
}

export interface GreOpts {
  key?: number;
  seq?: number;
  checksum?: boolean;
}

/** RFC 2784/2890: C, K, S bits and their 4-byte fields in that order. */
export function greHeader(protocol: number, g: GreOpts = {}): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(4);
  h[0] = (g.checksum ? 0x80 : 0) | (g.key !== undefined ? 0x20 : 0) | (g.seq !== undefined ? 0x10 : 0);
  h.writeUInt16BE(protocol, 2);
  parts.push(h);
  if (g.checksum) parts.push(Buffer.alloc(4)); // checksum 0: tshark reports it, decodes on
  for (const v of [g.key, g.seq]) {
    if (v === undefined) continue;
    const f = Buffer.alloc(4);
    f.writeUInt32BE(v >>> 0);
    parts.push(f);
  }
  return Buffer.concat(parts);
}

export function gre(o: Outer, protocol: number, inner: Buffer, g: GreOpts = {}): Buffer {
  const ip = outerIp(o, 47, Buffer.concat([greHeader(protocol, g), inner]));
  return ether(ipEtherType(ip), ip);
}

/** ERSPAN type II: GRE 0x88BE with a sequence number, 8-byte header (version 1, VLAN, session id, index). */
export function erspan2(o: Outer, session: number, innerEth: Buffer, seq: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE((1 << 12) | 0, 0);
  h.writeUInt16BE(session & 0x3ff, 2);
  h.writeUInt32BE(7, 4); // index
  return gre(o, 0x88be, Buffer.concat([h, innerEth]), { seq });
}

/** ERSPAN type III: GRE 0x22EB, 12-byte header (version 2), + 8 with the O bit (platform sub-header). */
export function erspan3(o: Outer, session: number, innerEth: Buffer, seq: number, platform = false): Buffer {
  const h = Buffer.alloc(platform ? 20 : 12);
  h.writeUInt16BE((2 << 12) | 0, 0);
  h.writeUInt16BE(session & 0x3ff, 2);
  h.writeUInt32BE(0x12345678, 4); // timestamp
  h[11] = platform ? 1 : 0; // frame type 0 (Ethernet), O bit
  if (platform) h[12] = 3 << 2; // platform id 3, as Wireshark's dissector reads it
  return gre(o, 0x22eb, Buffer.concat([h, innerEth]), { seq });
}

/** ERSPAN type I: GRE 0x88BE without a sequence number and without an ERSPAN header. */
export function erspan1(o: Outer, innerEth: Buffer): Buffer {
  return gre(o, 0x88be, innerEth);
}

/** An MPLS stack (the last label gets the bottom-of-stack bit) on Ethernet; `controlWord` puts a pseudowire's 4 zero bytes and an Ethernet frame after it. */
export function mpls(labels: number[], inner: Buffer, controlWord = false): Buffer {
  const stack = Buffer.alloc(labels.length * 4);
  labels.forEach((l, i) => stack.writeUInt32BE(((l << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0, i * 4));
  return ether(0x8847, Buffer.concat([stack, controlWord ? Buffer.alloc(4) : Buffer.alloc(0), inner]));
}

const pppProtocol = (ip: Buffer) => (ip[0]! >> 4 === 6 ? 0x0057 : 0x0021);

/** RFC 2516 session frame: 0x11, code 0, session id, length; the PPP protocol; the IP packet. */
export function pppoe(session: number, ip: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x11;
  h.writeUInt16BE(session, 2);
  h.writeUInt16BE(ip.length + 2, 4);
  h.writeUInt16BE(pppProtocol(ip), 6);
  return ether(0x8864, Buffer.concat([h, ip]));
}

/** GTP-U v1 G-PDU; `withExtension` adds the optional fields and one PDU-session-container extension header. */
export function gtpu(o: Outer, teid: number, ip: Buffer, withExtension = false): Buffer {
  const ext = withExtension ? Buffer.from([0x00, 0x01, 0x00, 0x85, 0x01, 0x00, 0x09, 0x00]) : Buffer.alloc(0);
  const h = Buffer.alloc(8);
  h[0] = 0x30 | (withExtension ? 0x04 : 0);
  h[1] = 0xff;
  h.writeUInt16BE(ext.length + ip.length, 2);
  h.writeUInt32BE(teid >>> 0, 4);
  const outer = outerUdp(o, 2152, 2152, Buffer.concat([h, ext, ip]));
  return ether(ipEtherType(outer), outer);
}

/** IP-in-IP: protocol 4 for IPv4 inside, 41 for IPv6 inside; no header between. */
export function ipInIp(o: Outer, ip: Buffer): Buffer {
  const outer = outerIp(o, ip[0]! >> 4 === 6 ? 41 : 4, ip);
  return ether(ipEtherType(outer), outer);
}

/** LINKTYPE_PPP (9): HDLC address/control 0xFF 0x03, then the 2-byte protocol. */
export function pppLink(ip: Buffer): Buffer {
  const h = Buffer.from([0xff, 0x03, 0, 0]);
  h.writeUInt16BE(pppProtocol(ip), 2);
  return Buffer.concat([h, ip]);
}

/**
 * LINKTYPE_IPOIB (242) as Wireshark reads it: 40 bytes of pseudo header (20 zero bytes, then the destination
 * QPN and GID), then RFC 4391's ethertype and 2 reserved bytes.
 */
export function ipoibLink(ip: Buffer): Buffer {
  const h = Buffer.alloc(44);
  h.writeUInt32BE(0x48, 20); // destination QPN
  parseAddr('fe80::2').copy(h, 24); // destination GID
  h.writeUInt16BE(ipEtherType(ip), 40);
  return Buffer.concat([h, ip]);
}

function nflogTlv(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const t = Buffer.alloc((len + 3) & ~3);
  t.writeUInt16LE(len, 0);
  t.writeUInt16LE(type, 2);
  value.copy(t, 4);
  return t;
}

/** LINKTYPE_NFLOG (239): family, version 0, group; TLVs little-endian as an x86 host writes them: hw protocol, prefix, payload. */
export function nflogLink(group: number, prefix: string, ip: Buffer): Buffer {
  const v6 = ip[0]! >> 4 === 6;
  const h = Buffer.from([v6 ? 10 : 2, 0, group >> 8, group & 0xff]);
  const hwProtocol = Buffer.from([v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00, 3, 0]); // NFULA_PACKET_HDR: protocol, hook, pad
  return Buffer.concat([h, nflogTlv(1, hwProtocol), nflogTlv(10, Buffer.from(`${prefix}\0`)), nflogTlv(9, ip)]);
}

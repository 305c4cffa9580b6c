/**
 * Fast encoder of synthetic TCP segments into classic pcap files (µs
 * timestamps, Ethernet). Built for generating millions of packets in a couple
 * of seconds: each segment is encoded in place into the chunk of the tests'
 * PcapFileWriter, which flushes it with fs.writeSync, so the hot path
 * allocates nothing.
 */
import { PcapFileWriter } from '../test/helpers/capture-writer.js';
import { Mulberry32 } from '../test/helpers/rng.js';

import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../src/decode/tcp-flags.js';

// The flag bits are defined once, with the decoder; the generators hand them on.
export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN };

const LINKTYPE_ETHERNET = 1;
const ETH_LEN = 14;
const IP4_LEN = 20;
const IP6_LEN = 40;
/** Worst case of one frame: Ethernet + IPv6 + TCP with 40 bytes of options + a full segment. */
const MAX_FRAME = ETH_LEN + IP6_LEN + 60 + 1500;

/** Which TCP options a segment carries; the byte layouts are the ones Linux emits. */
/** Servers live in 198.51.100.0/24 (a documentation range, like every address the bench writes). */
export const SERVER_NET = 0xc6336400;
const CLIENT_NETS = [0xcb007100, 0xc0000200]; // 203.0.113.0/24, 192.0.2.0/24
const CLIENT_HOSTS = 2 * 254;

/**
 * Client endpoint of synthetic connection `id`: 508 documentation addresses,
 * each with its own run of ports, so no two connections share a 4-tuple
 * (up to 508 × 28 232 connections).
 */
export function clientEndpoint(id: number): { addr: number; port: number } {
  const host = id % CLIENT_HOSTS;
  return { addr: (CLIENT_NETS[host & 1]! | (1 + (host >> 1))) >>> 0, port: 32768 + (Math.floor(id / CLIENT_HOSTS) % 28232) };
}

export const OPT_NONE = 0;
/** SYN / SYN-ACK: MSS, SACK-permitted, timestamps, NOP, window scale (20 bytes). */
export const OPT_SYN = 1;
/** SYN / SYN-ACK without timestamps: MSS, NOP, NOP, SACK-permitted, NOP, window scale (12 bytes). */
export const OPT_SYN_NOTS = 2;
/** Established segment: NOP, NOP, timestamps (12 bytes). */
export const OPT_TS = 3;

const OPT_LEN = [0, 20, 12, 12];

/** One TCP segment to encode; reused by the generators so nothing is allocated per packet. */
export interface Segment {
  tsSec: number;
  tsUsec: number;
  ipv6: boolean;
  /** IPv4 address as an unsigned 32-bit number; for IPv6 the low 32 bits of the interface id. */
  src: number;
  dst: number;
  /** IPv6 only: high 32 bits of the interface id (the /64 prefix is fixed). */
  src6hi: number;
  dst6hi: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  ttl: number;
  ipId: number;
  opts: number;
  /** Options payload: MSS and window-scale shift for SYNs, TSval/TSecr for timestamps. */
  mss: number;
  wscale: number;
  tsVal: number;
  tsEcr: number;
  /** TCP payload length on the wire. */
  payloadLen: number;
}

export function newSegment(): Segment {
  return {
    tsSec: 0,
    tsUsec: 0,
    ipv6: false,
    src: 0,
    dst: 0,
    src6hi: 0,
    dst6hi: 0,
    sport: 0,
    dport: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    ttl: 64,
    ipId: 0,
    opts: OPT_NONE,
    mss: 1460,
    wscale: 7,
    tsVal: 0,
    tsEcr: 0,
    payloadLen: 0,
  };
}

// Fixed MACs and IPv6 prefix: the generators only vary what the analyzers key on.
const MAC_SERVER = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const MAC_ROUTER = [0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe];
const IP6_PREFIX = [0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01];

export class PcapWriter {
  private readonly file: PcapFileWriter;
  readonly snaplen: number;

  /**
   * @param snaplen frames longer than this are cut, as `tcpdump -s N` would;
   *   origLen keeps the wire length so analyzers must use the IP lengths.
   */
  constructor(path: string, snaplen = 65535, chunkBytes = 16 << 20) {
    this.file = new PcapFileWriter(path, { linkType: LINKTYPE_ETHERNET, snaplen, chunkBytes });
    this.snaplen = snaplen;
  }

  /** Bytes written (flushed or pending) so far: the offset where the next record starts. */
  get offset(): number {
    return this.file.offset;
  }

  get packets(): number {
    return this.file.packets;
  }

  write(s: Segment, c2s: boolean): void {
    const start = this.file.frameStart(MAX_FRAME);
    const b = this.file.buffer;
    const optLen = OPT_LEN[s.opts];
    if (optLen === undefined) throw new Error(`unknown TCP option layout ${s.opts}`);
    const tcpLen = 20 + optLen;
    const ipLen = (s.ipv6 ? IP6_LEN : IP4_LEN) + tcpLen + s.payloadLen;

    let p = start;
    const dstMac = c2s ? MAC_SERVER : MAC_ROUTER;
    const srcMac = c2s ? MAC_ROUTER : MAC_SERVER;
    // Byte loops with `!` reads (in bounds: i < 6 = a MAC's length; the checksum reads the 20-byte
    // IPv4 header just written): Buffer.set / readUInt16BE here measured 10-20 % slower.
    for (let i = 0; i < 6; i++) b[p + i] = dstMac[i]!;
    for (let i = 0; i < 6; i++) b[p + 6 + i] = srcMac[i]!;
    b[p + 12] = s.ipv6 ? 0x86 : 0x08;
    b[p + 13] = s.ipv6 ? 0xdd : 0x00;
    p += ETH_LEN;

    if (s.ipv6) {
      b.writeUInt32BE(0x60000000, p);
      b.writeUInt16BE(tcpLen + s.payloadLen, p + 4);
      b[p + 6] = 6;
      b[p + 7] = s.ttl;
      writeIp6(b, p + 8, s.src6hi, s.src);
      writeIp6(b, p + 24, s.dst6hi, s.dst);
      p += IP6_LEN;
    } else {
      b[p] = 0x45;
      b[p + 1] = 0;
      b.writeUInt16BE(ipLen, p + 2);
      b.writeUInt16BE(s.ipId & 0xffff, p + 4);
      b.writeUInt16BE(0x4000, p + 6);
      b[p + 8] = s.ttl;
      b[p + 9] = 6;
      b[p + 10] = 0;
      b[p + 11] = 0;
      b.writeUInt32BE(s.src >>> 0, p + 12);
      b.writeUInt32BE(s.dst >>> 0, p + 16);
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += (b[p + i]! << 8) | b[p + i + 1]!;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      b.writeUInt16BE(~sum & 0xffff, p + 10);
      p += IP4_LEN;
    }

    b.writeUInt16BE(s.sport, p);
    b.writeUInt16BE(s.dport, p + 2);
    b.writeUInt32BE(s.seq >>> 0, p + 4);
    b.writeUInt32BE(s.ack >>> 0, p + 8);
    b[p + 12] = (tcpLen >> 2) << 4;
    b[p + 13] = s.flags;
    b.writeUInt16BE(s.window, p + 14);
    // Checksum left at 0, as in captures taken with checksum offload; neither tshark nor kad validates it by default.
    b[p + 16] = 0;
    b[p + 17] = 0;
    b[p + 18] = 0;
    b[p + 19] = 0;
    p += 20;
    switch (s.opts) {
      case OPT_SYN:
        b[p] = 2;
        b[p + 1] = 4;
        b.writeUInt16BE(s.mss, p + 2);
        b[p + 4] = 4;
        b[p + 5] = 2;
        b[p + 6] = 8;
        b[p + 7] = 10;
        b.writeUInt32BE(s.tsVal >>> 0, p + 8);
        b.writeUInt32BE(s.tsEcr >>> 0, p + 12);
        b[p + 16] = 1;
        b[p + 17] = 3;
        b[p + 18] = 3;
        b[p + 19] = s.wscale;
        break;
      case OPT_SYN_NOTS:
        b[p] = 2;
        b[p + 1] = 4;
        b.writeUInt16BE(s.mss, p + 2);
        b[p + 4] = 1;
        b[p + 5] = 1;
        b[p + 6] = 4;
        b[p + 7] = 2;
        b[p + 8] = 1;
        b[p + 9] = 3;
        b[p + 10] = 3;
        b[p + 11] = s.wscale;
        break;
      case OPT_TS:
        b[p] = 1;
        b[p + 1] = 1;
        b[p + 2] = 8;
        b[p + 3] = 10;
        b.writeUInt32BE(s.tsVal >>> 0, p + 4);
        b.writeUInt32BE(s.tsEcr >>> 0, p + 8);
        break;
    }
    p += optLen;
    this.file.endFrame(s.tsSec, s.tsUsec, ETH_LEN + ipLen, p - start);
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }
}

function writeIp6(b: Buffer, p: number, hi: number, lo: number): void {
  for (let i = 0; i < 8; i++) b[p + i] = IP6_PREFIX[i]!;
  b.writeUInt32BE(hi >>> 0, p + 8);
  b.writeUInt32BE(lo >>> 0, p + 12);
}

/** Small, fast, seedable PRNG (the tests' mulberry32) so every bench run writes the same bytes. */
export class Rng extends Mulberry32 {
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

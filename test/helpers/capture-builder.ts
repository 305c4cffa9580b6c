import { execFileSync } from 'node:child_process';
import { buildPcapRaw, PcapngWriter, type RawFrame } from './capture-writer.js';
import { itemAt } from './checked.js';
import { pushAll } from '../../src/util/extremes.js';

/**
 * Hand-made frames and captures for tests. Everything here is written
 * from the protocol specs so that tests do not depend on the decoder under
 * test; headers carry correct IPv4 and TCP checksums so tshark accepts the
 * frames as well-formed. The files themselves are laid out by
 * capture-writer.ts. The last section wraps the external tools (tshark) that
 * serve as independent oracles.
 */

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** Letters from 'SFRPAUEC', e.g. 'S', 'SA', 'PA', 'FA', 'R', 'RA'. */
  flags: string;
  /** Default 64240. */
  win?: number;
  /** A number means that many 0x00 bytes. */
  payload?: number | Buffer;
  /** Default 64 (IPv6 hop limit too). */
  ttl?: number;
  /** Default 0. */
  ipId?: number;
  options?: { mss?: number; wscale?: number; sackPerm?: boolean; ts?: [number, number] };
  /** Capture timestamp, ns since the epoch. */
  tsNs: bigint;
  /** Captured length cut to this many bytes of the frame. */
  snap?: number;
}

export type LinkKind = 'ether' | 'vlan' | 'qinq' | 'sll' | 'sll2' | 'raw' | 'ipv4' | 'ipv6' | 'null' | 'loop';

/** LINKTYPE_* numbers as written into file headers. */
export const LINKTYPE: Readonly<Record<LinkKind, number>> = {
  ether: 1,
  vlan: 1,
  qinq: 1,
  sll: 113,
  sll2: 276,
  raw: 101,
  ipv4: 228,
  ipv6: 229,
  null: 0,
  loop: 108,
};

// ---------------------------------------------------------------- addresses

export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

function parseIpv4(addr: string): Buffer {
  const parts = addr.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address ${addr}`);
  return Buffer.from(
    parts.map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0 || n > 255 || p === '') throw new Error(`bad IPv4 address ${addr}`);
      return n;
    }),
  );
}

function parseIpv6(addr: string): Buffer {
  let text = addr;
  // A dotted-quad tail ('::ffff:192.0.2.1') is just the last two words.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address ${addr}`);
  const words = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').map((w) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw new Error(`bad IPv6 address ${addr}`);
          return parseInt(w, 16);
        });
  const head = words(itemAt(halves, 0, 'half'));
  const tail = halves.length === 2 ? words(itemAt(halves, 1, 'half')) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) throw new Error(`bad IPv6 address ${addr}`);
  const out = Buffer.alloc(16);
  head.concat(new Array<number>(fill).fill(0), tail).forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

export function parseAddr(addr: string): Buffer {
  return isIpv6(addr) ? parseIpv6(addr) : parseIpv4(addr);
}

// ---------------------------------------------------------------- checksums

function onesSum(buf: Buffer, start = 0, end = buf.length, acc = 0): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += buf.readUInt16BE(i);
  if (i < end) sum += buf.readUInt8(i) << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

// ---------------------------------------------------------------- TCP / IP

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export function tcpFlags(flags: string): number {
  let v = 0;
  for (const ch of flags.toUpperCase()) {
    const bit = FLAG_BITS[ch];
    if (bit === undefined) throw new Error(`unknown TCP flag letter ${ch}`);
    v |= bit;
  }
  return v;
}

/** Options laid out the way Linux does, so each one stays 4-byte aligned. */
function tcpOptions(o: TcpSpec['options']): Buffer {
  if (!o) return Buffer.alloc(0);
  const bytes: number[] = [];
  if (o.mss !== undefined) bytes.push(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff);
  if (o.ts) {
    if (o.sackPerm) bytes.push(4, 2);
    else bytes.push(1, 1);
    const t = Buffer.alloc(8);
    t.writeUInt32BE(o.ts[0] >>> 0, 0);
    t.writeUInt32BE(o.ts[1] >>> 0, 4);
    bytes.push(8, 10);
    pushAll(bytes, t);
  } else if (o.sackPerm) {
    bytes.push(1, 1, 4, 2);
  }
  if (o.wscale !== undefined) bytes.push(1, 3, 3, o.wscale & 0xff);
  while (bytes.length % 4 !== 0) bytes.push(0);
  return Buffer.from(bytes);
}

function payloadOf(p: TcpSpec['payload']): Buffer {
  if (p === undefined) return Buffer.alloc(0);
  return typeof p === 'number' ? Buffer.alloc(p) : p;
}

function pseudoHeaderSum(src: Buffer, dst: Buffer, proto: number, len: number): number {
  let sum = onesSum(src) + onesSum(dst);
  if (src.length === 4) sum += proto + len;
  else sum += Math.floor(len / 0x10000) + (len & 0xffff) + proto;
  return sum;
}

function ipWrap(src: string, dst: string, proto: number, l4: Buffer, ttl: number, ipId: number, checksumAt: number): Buffer {
  const s = parseAddr(src);
  const d = parseAddr(dst);
  if (s.length !== d.length) throw new Error(`address families differ: ${src} / ${dst}`);
  l4.writeUInt16BE(0, checksumAt);
  let ck = fold(onesSum(l4, 0, l4.length, pseudoHeaderSum(s, d, proto, l4.length)));
  if (proto === 17 && ck === 0) ck = 0xffff;
  l4.writeUInt16BE(ck, checksumAt);
  if (s.length === 4) {
    const h = Buffer.alloc(20);
    h[0] = 0x45;
    h.writeUInt16BE(20 + l4.length, 2);
    h.writeUInt16BE(ipId & 0xffff, 4);
    h.writeUInt16BE(0x4000, 6);
    h[8] = ttl;
    h[9] = proto;
    s.copy(h, 12);
    d.copy(h, 16);
    h.writeUInt16BE(fold(onesSum(h)), 10);
    return Buffer.concat([h, l4]);
  }
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(l4.length, 4);
  h[6] = proto;
  h[7] = ttl;
  s.copy(h, 8);
  d.copy(h, 24);
  return Buffer.concat([h, l4]);
}

/** The IP packet (IPv4 or IPv6 by address text) carrying one TCP segment. */
export function buildIpTcp(spec: TcpSpec): Buffer {
  const opts = tcpOptions(spec.options);
  const data = payloadOf(spec.payload);
  const tcp = Buffer.alloc(20 + opts.length + data.length);
  tcp.writeUInt16BE(spec.sport, 0);
  tcp.writeUInt16BE(spec.dport, 2);
  tcp.writeUInt32BE(spec.seq >>> 0, 4);
  tcp.writeUInt32BE(spec.ack >>> 0, 8);
  tcp[12] = ((20 + opts.length) / 4) << 4;
  tcp[13] = tcpFlags(spec.flags);
  tcp.writeUInt16BE(spec.win ?? 64240, 14);
  opts.copy(tcp, 20);
  data.copy(tcp, 20 + opts.length);
  return ipWrap(spec.src, spec.dst, 6, tcp, spec.ttl ?? 64, spec.ipId ?? 0, 16);
}

export interface UdpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload?: number | Buffer;
  ttl?: number;
}

/** A UDP datagram, for "this frame is not TCP" tests. */
export function buildIpUdp(spec: UdpSpec): Buffer {
  const data = payloadOf(spec.payload);
  const udp = Buffer.alloc(8 + data.length);
  udp.writeUInt16BE(spec.sport, 0);
  udp.writeUInt16BE(spec.dport, 2);
  udp.writeUInt16BE(udp.length, 4);
  data.copy(udp, 8);
  return ipWrap(spec.src, spec.dst, 17, udp, spec.ttl ?? 64, 0, 6);
}

// ---------------------------------------------------------------- link layer

const MAC_A = Buffer.from([0x02, 0x00, 0x5e, 0x00, 0x53, 0x01]);
const MAC_B = Buffer.from([0x02, 0x00, 0x5e, 0x00, 0x53, 0x02]);

/**
 * Wraps an IP packet (or, with `etherType`, any payload) in a link header.
 * `bigEndian` only matters for 'null', whose address family is written in
 * the byte order of the capturing host, i.e. of the file.
 */
export function wrapLink(ip: Buffer, link: LinkKind, opts: { bigEndian?: boolean; etherType?: number } = {}): Buffer {
  const v6 = ip.length > 0 && ip.readUInt8(0) >> 4 === 6;
  const etherType = opts.etherType ?? (v6 ? 0x86dd : 0x0800);
  const afInet = 2;
  const afInet6 = 24; // BSD value; Wireshark accepts 24, 28 and 30.
  switch (link) {
    case 'ether':
    case 'vlan':
    case 'qinq': {
      const tags: Array<[tpid: number, vid: number]> =
        link === 'ether'
          ? []
          : link === 'vlan'
            ? [[0x8100, 100]]
            : [
                [0x88a8, 200],
                [0x8100, 100],
              ];
      const h = Buffer.alloc(14 + tags.length * 4);
      MAC_B.copy(h, 0);
      MAC_A.copy(h, 6);
      let at = 12;
      for (const [tpid, vid] of tags) {
        h.writeUInt16BE(tpid, at);
        h.writeUInt16BE(vid, at + 2);
        at += 4;
      }
      h.writeUInt16BE(etherType, at);
      return Buffer.concat([h, ip]);
    }
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0); // sent to us
      h.writeUInt16BE(1, 2); // ARPHRD_ETHER
      h.writeUInt16BE(6, 4);
      MAC_A.copy(h, 6);
      h.writeUInt16BE(etherType, 14);
      return Buffer.concat([h, ip]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(etherType, 0);
      h.writeUInt32BE(2, 4); // ifindex
      h.writeUInt16BE(1, 8); // ARPHRD_ETHER
      h[10] = 0;
      h[11] = 6;
      MAC_A.copy(h, 12);
      return Buffer.concat([h, ip]);
    }
    case 'raw':
    case 'ipv4':
    case 'ipv6':
      return ip;
    case 'null': {
      const h = Buffer.alloc(4);
      if (opts.bigEndian) h.writeUInt32BE(v6 ? afInet6 : afInet, 0);
      else h.writeUInt32LE(v6 ? afInet6 : afInet, 0);
      return Buffer.concat([h, ip]);
    }
    case 'loop': {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(v6 ? afInet6 : afInet, 0);
      return Buffer.concat([h, ip]);
    }
  }
}

/** A whole frame for one TcpSpec, before any snap cut. */
export function buildFrame(spec: TcpSpec, link: LinkKind = 'ether', bigEndian = false): Buffer {
  return wrapLink(buildIpTcp(spec), link, { bigEndian });
}

/** An Ethernet ARP request: a frame that is not IP at all. */
export function buildArpFrame(): Buffer {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0);
  arp.writeUInt16BE(0x0800, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6);
  MAC_A.copy(arp, 8);
  Buffer.from([192, 0, 2, 1]).copy(arp, 14);
  Buffer.from([192, 0, 2, 2]).copy(arp, 24);
  const h = Buffer.alloc(14);
  h.fill(0xff, 0, 6);
  MAC_A.copy(h, 6);
  h.writeUInt16BE(0x0806, 12);
  return Buffer.concat([h, arp]);
}

// ---------------------------------------------------------------- pcap

function frameOf(spec: TcpSpec, link: LinkKind, bigEndian: boolean): RawFrame {
  const full = buildFrame(spec, link, bigEndian);
  const cap = spec.snap === undefined ? full.length : Math.min(spec.snap, full.length);
  return { tsNs: spec.tsNs, data: full.subarray(0, cap), origLen: full.length };
}

export function buildPcap(pkts: TcpSpec[], opts: { link?: LinkKind; nano?: boolean; bigEndian?: boolean } = {}): Buffer {
  const link = opts.link ?? 'ether';
  const be = !!opts.bigEndian;
  return buildPcapRaw(
    pkts.map((p) => frameOf(p, link, be)),
    { linkType: LINKTYPE[link], nano: opts.nano, bigEndian: be },
  );
}

// ---------------------------------------------------------------- pcapng

export function buildPcapng(
  pkts: TcpSpec[],
  opts: { link?: LinkKind; tsresol?: number; tsoffset?: number; bigEndian?: boolean } = {},
): Buffer {
  const link = opts.link ?? 'ether';
  const be = !!opts.bigEndian;
  const w = new PcapngWriter().shb({ bigEndian: be });
  w.idb({ linkType: LINKTYPE[link], tsresol: opts.tsresol, tsoffset: opts.tsoffset });
  for (const p of pkts) w.epb(0, frameOf(p, link, be));
  return w.toBuffer();
}

// ---------------------------------------------------------------- conveniences

/** A frame for the low-level writers from a TcpSpec (honours `snap`). */
export function rawFrame(spec: TcpSpec, link: LinkKind = 'ether', bigEndian = false): RawFrame {
  return frameOf(spec, link, bigEndian);
}

/**
 * A plausible handshake + data + close between two documentation addresses,
 * `n` packets long, 1 ms apart, for tests that just need "some traffic".
 */
export function sampleConversation(n: number, startNs = 1_700_000_000_123_456_789n, v6 = false): TcpSpec[] {
  const c = v6 ? '2001:db8::1' : '192.0.2.1';
  const s = v6 ? '2001:db8::2' : '198.51.100.2';
  const out: TcpSpec[] = [];
  let cseq = 1000;
  let sseq = 5000;
  for (let i = 0; i < n; i++) {
    const tsNs = startNs + BigInt(i) * 1_000_000n;
    if (i === 0) {
      out.push({
        src: c,
        dst: s,
        sport: 40000,
        dport: 443,
        seq: cseq++,
        ack: 0,
        flags: 'S',
        tsNs,
        options: { mss: 1460, sackPerm: true, ts: [1, 0], wscale: 7 },
      });
    } else if (i === 1) {
      out.push({
        src: s,
        dst: c,
        sport: 443,
        dport: 40000,
        seq: sseq++,
        ack: cseq,
        flags: 'SA',
        tsNs,
        options: { mss: 1460, sackPerm: true, ts: [2, 1], wscale: 7 },
      });
    } else if (i % 2 === 0) {
      out.push({ src: c, dst: s, sport: 40000, dport: 443, seq: cseq, ack: sseq, flags: 'PA', payload: 100, tsNs, ipId: i });
      cseq += 100;
    } else {
      out.push({ src: s, dst: c, sport: 443, dport: 40000, seq: sseq, ack: cseq, flags: 'A', tsNs, ipId: i });
    }
  }
  return out;
}

// ---------------------------------------------------------------- external oracles

export interface TsharkFrame {
  frame: number;
  /** frame.time_epoch exactly as tshark prints it (9 decimals). */
  epoch: string;
  capLen: number;
  len: number;
}

/** tshark's view of every frame in a capture file. */
export function tsharkFrames(file: string): TsharkFrame[] {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [frame, epoch, capLen, len] = l.split('\t');
      if (frame === undefined || epoch === undefined || capLen === undefined || len === undefined) {
        throw new Error(`tshark printed a line without the 4 fields asked for: ${JSON.stringify(l)}`);
      }
      return { frame: Number(frame), epoch, capLen: Number(capLen), len: Number(len) };
    });
}

/** "sec.nnnnnnnnn" the way tshark prints frame.time_epoch (non-negative times). */
export function epochString(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/**
 * Mixed traffic for the pcap reader's tests (unit and tshark-checked alike):
 * IPv4 handshake and data, an IPv6 RST at sequence 2^32 - 1, a frame cut by the snaplen.
 */
export function mixedPcapConversation(): TcpSpec[] {
  const s = sampleConversation(6);
  s.push({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    sport: 5000,
    dport: 80,
    seq: 4294967295,
    ack: 1,
    flags: 'RA',
    tsNs: 1_700_000_002_000_000_001n,
  });
  s.push({
    src: '203.0.113.7',
    dst: '192.0.2.1',
    sport: 443,
    dport: 40000,
    seq: 1,
    ack: 2,
    flags: 'PA',
    payload: 1400,
    snap: 96,
    tsNs: 1_700_000_002_999_999_999n,
  });
  return s;
}

/** The pcapng reader's variant: a conversation, an IPv6 RST, a frame cut by the snaplen. */
export function mixedPcapngConversation(): TcpSpec[] {
  const s = sampleConversation(6);
  s.push({ src: '2001:db8::1', dst: '2001:db8::2', sport: 5000, dport: 80, seq: 7, ack: 1, flags: 'RA', tsNs: 1_700_000_002_000_000_001n });
  s.push({
    src: '203.0.113.7',
    dst: '192.0.2.1',
    sport: 443,
    dport: 40000,
    seq: 1,
    ack: 2,
    flags: 'PA',
    payload: 1401,
    snap: 97,
    tsNs: 1_700_000_002_999_999_999n,
  });
  return s;
}

/**
 * Ethernet/IPv4/TCP frames (no TCP options) written into a chunk by copying a
 * pre-built template and patching the fields that vary, so the churn stream
 * can produce well over a million packets a second. Each record is a classic
 * pcap record (µs timestamps), cut at SNAPLEN like a header-only
 * `tcpdump -s 96` capture: the IP total length keeps the wire size.
 */

import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/decode/tcp-flags.js';

// The flag bits are defined once, with the decoder; the generators hand them on.
export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN };

export const SNAPLEN = 96;
export const PCAP_FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const ETH = 14;
const IP = ETH;
const TCP = ETH + 20;
/** Room one record can take in a chunk. */
export const MAX_RECORD_BYTES = RECORD_HEADER_BYTES + SNAPLEN;

/** The 24-byte classic pcap file header: little-endian, µs, Ethernet. */
export function pcapFileHeader(): Buffer {
  const b = Buffer.alloc(PCAP_FILE_HEADER_BYTES);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(SNAPLEN, 16);
  b.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  return b;
}

/**
 * One frame template per direction: the MACs say which way it goes (client
 * side router ↔ server), everything else is patched per packet. The payload
 * bytes past the headers stay zero (nobody reads them).
 */
function template(c2s: boolean): Uint8Array {
  const t = new Uint8Array(SNAPLEN);
  const server = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
  const router = [0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe];
  t.set(c2s ? server : router, 0);
  t.set(c2s ? router : server, 6);
  t[12] = 0x08; // IPv4
  t[IP] = 0x45;
  t[IP + 6] = 0x40; // DF
  t[IP + 9] = 6; // TCP
  t[TCP + 12] = 5 << 4; // 20-byte header
  return t;
}

const TEMPLATES = [template(false), template(true)] as const;

/** The fields of one packet; reused by the generator so the hot path allocates nothing. */
export interface FrameFields {
  /** Capture time, µs since the epoch. */
  tUs: number;
  c2s: boolean;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  ttl: number;
  ipId: number;
  payloadLen: number;
}

export function newFrameFields(): FrameFields {
  return { tUs: 0, c2s: true, src: 0, dst: 0, sport: 0, dport: 0, seq: 0, ack: 0, flags: 0, window: 0, ttl: 64, ipId: 0, payloadLen: 0 };
}

/**
 * Writes one record at `at` in `chunk` (through `view`, a DataView of the
 * same bytes) and returns where the next record starts.
 */
export function writeFrame(chunk: Uint8Array, view: DataView, at: number, f: FrameFields): number {
  const ipLen = 40 + f.payloadLen;
  const wire = ETH + ipLen;
  const cap = wire < SNAPLEN ? wire : SNAPLEN;
  const us = Math.floor(f.tUs);
  const sec = Math.floor(us / 1e6);
  view.setUint32(at, sec, true);
  view.setUint32(at + 4, us - sec * 1e6, true);
  view.setUint32(at + 8, cap, true);
  view.setUint32(at + 12, wire, true);
  const p = at + RECORD_HEADER_BYTES;
  chunk.set(TEMPLATES[f.c2s ? 1 : 0], p);

  const src = f.src >>> 0;
  const dst = f.dst >>> 0;
  const id = f.ipId & 0xffff;
  view.setUint16(p + IP + 2, ipLen);
  view.setUint16(p + IP + 4, id);
  chunk[p + IP + 8] = f.ttl;
  view.setUint32(p + IP + 12, src);
  view.setUint32(p + IP + 16, dst);
  // Header checksum from the template's constant words (0x4500, DF, protocol) plus the patched ones.
  let sum = 0x4500 + 0x4000 + ((f.ttl << 8) | 6) + ipLen + id + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(p + IP + 10, ~sum & 0xffff);

  view.setUint16(p + TCP, f.sport);
  view.setUint16(p + TCP + 2, f.dport);
  view.setUint32(p + TCP + 4, f.seq >>> 0);
  view.setUint32(p + TCP + 8, f.ack >>> 0);
  chunk[p + TCP + 13] = f.flags;
  view.setUint16(p + TCP + 14, f.window);
  // TCP checksum left 0, as in a capture taken with checksum offload; neither kad nor tshark checks it by default.
  return p + cap;
}

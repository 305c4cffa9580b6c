/**
 * The worst case for locality (issue 23): every packet belongs to a different
 * connection than the one before, because the capture visits N connections
 * round-robin, one packet each per round. Each connection lives a short, plain
 * life (handshake, request/response/ACK exchanges, one answered keepalive, then
 * FIN or RST), so the analyzers have ordinary work, just never a warm cache line.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import {
  OPT_NONE,
  OPT_SYN,
  OPT_TS,
  PcapWriter,
  Rng,
  SERVER_NET,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  clientEndpoint,
  newSegment,
} from './pcap-writer.js';

export interface RoundRobinTruth {
  packets: number;
  bytes: number;
  connections: number;
  /** Packets a keepalive probe (one per connection) and its ACK. */
  keepalives: number;
  resets: number;
}

const BASE_SEC = 1_700_200_000;
/** Handshake (3), exchanges of request, response and ACK, a keepalive and its ACK, the end. */
const HANDSHAKE = 3;
const TAIL = 3;

/**
 * Writes `rounds` packets for each of `connections` connections, connection
 * after connection in every round. `rounds` below 7 leaves no room for an
 * exchange; the caller picks 30 (3 M packets over 100 k connections).
 */
export function generateRoundRobinCapture(path: string, connections: number, rounds: number, snaplen: number): RoundRobinTruth {
  if (rounds < HANDSHAKE + TAIL + 1) throw new Error(`round-robin capture needs at least ${HANDSHAKE + TAIL + 1} rounds`);
  const rng = new Rng(23);
  const w = new PcapWriter(path, snaplen);
  const s = newSegment();
  const cSeq = new Uint32Array(connections);
  const sSeq = new Uint32Array(connections);
  for (let i = 0; i < connections; i++) {
    cSeq[i] = rng.u32();
    sSeq[i] = rng.u32();
  }
  const exchangeRounds = rounds - HANDSHAKE - TAIL;
  let resets = 0;
  // One µs between packets: 3 M packets span three seconds.
  let nowUs = BASE_SEC * 1e6;
  for (let r = 0; r < rounds; r++) {
    for (let id = 0; id < connections; id++) {
      // id < connections, the length of both sequence arrays.
      const cs = cSeq[id]!;
      const ss = sSeq[id]!;
      const { addr, port } = clientEndpoint(id);
      const server = SERVER_NET + 1 + (id & 3);
      let c2s = true;
      s.payloadLen = 0;
      s.opts = OPT_TS;
      s.flags = TCP_ACK;
      s.seq = cs;
      s.ack = ss;
      if (r === 0) {
        s.flags = TCP_SYN;
        s.opts = OPT_SYN;
        s.ack = 0;
        cSeq[id] = cs + 1;
      } else if (r === 1) {
        c2s = false;
        s.flags = TCP_SYN | TCP_ACK;
        s.opts = OPT_SYN;
        s.seq = ss;
        s.ack = cs;
        sSeq[id] = ss + 1;
      } else if (r < HANDSHAKE + exchangeRounds) {
        const step = (r - HANDSHAKE) % 3;
        if (step === 0) {
          s.flags = TCP_PSH | TCP_ACK;
          s.payloadLen = 100 + (id % 400);
          cSeq[id] = cs + s.payloadLen;
        } else if (step === 1) {
          c2s = false;
          s.flags = TCP_PSH | TCP_ACK;
          s.seq = ss;
          s.ack = cs;
          s.payloadLen = 200 + (id % 1200);
          sSeq[id] = ss + s.payloadLen;
        }
      } else if (r === rounds - 3) {
        // A keepalive re-sends the last acknowledged byte: seq = snd_nxt − 1.
        s.seq = (cs - 1) >>> 0;
      } else if (r === rounds - 2) {
        c2s = false;
        s.seq = ss;
        s.ack = cs;
      } else if (id % 5 === 0) {
        s.flags = TCP_RST | TCP_ACK;
        s.opts = OPT_NONE;
        resets++;
      } else {
        s.flags = TCP_FIN | TCP_ACK;
      }
      s.ipv6 = false;
      s.src = c2s ? addr : server;
      s.dst = c2s ? server : addr;
      s.sport = c2s ? port : 443;
      s.dport = c2s ? 443 : port;
      s.ttl = c2s ? 57 : 64;
      s.window = c2s ? 2058 : 501;
      s.ipId = (id + r) & 0xffff;
      s.tsVal = Math.floor(nowUs / 1000) >>> 0;
      s.tsEcr = r === 0 ? 0 : s.tsVal - 1;
      s.tsSec = Math.floor(nowUs / 1e6);
      s.tsUsec = nowUs - s.tsSec * 1e6;
      w.write(s, c2s);
      nowUs += 1;
    }
  }
  w.close();
  return { packets: w.packets, bytes: w.offset, connections, keepalives: connections, resets };
}

/**
 * The same packets as pcapng (one SHB, one Ethernet IDB at µs resolution, an
 * EPB per record), as dumpcap writes them: a straight re-framing of a classic
 * little-endian µs pcap, much faster than `editcap -F pcapng`.
 */
export function pcapToPcapng(src: string, dst: string): number {
  const inBuf = Buffer.allocUnsafe(16 << 20);
  const out = Buffer.allocUnsafe((16 << 20) * 2);
  const fi = openSync(src, 'r');
  const fo = openSync(dst, 'w');
  let o = 0;
  const flush = (): void => {
    let d = 0;
    while (d < o) d += writeSync(fo, out, d, o - d);
    o = 0;
  };
  // SHB (28 bytes, no options) and IDB (linktype 1, snaplen from the pcap header, no options: µs).
  const head = Buffer.allocUnsafe(24);
  readSync(fi, head, 0, 24, 0);
  out.writeUInt32LE(0x0a0d0d0a, 0);
  out.writeUInt32LE(28, 4);
  out.writeUInt32LE(0x1a2b3c4d, 8);
  out.writeUInt16LE(1, 12);
  out.writeUInt16LE(0, 14);
  out.writeInt32LE(-1, 16);
  out.writeInt32LE(-1, 20);
  out.writeUInt32LE(28, 24);
  out.writeUInt32LE(1, 28);
  out.writeUInt32LE(20, 32);
  out.writeUInt16LE(head.readUInt32LE(20) & 0xffff, 36);
  out.writeUInt16LE(0, 38);
  out.writeUInt32LE(head.readUInt32LE(16), 40);
  out.writeUInt32LE(20, 44);
  o = 48;
  let filePos = 24;
  let have = 0;
  let at = 0;
  for (;;) {
    if (at > 0) {
      inBuf.copy(inBuf, 0, at, have);
      have -= at;
      at = 0;
    }
    const n = readSync(fi, inBuf, have, inBuf.length - have, filePos);
    filePos += n;
    have += n;
    while (have - at >= 16) {
      const capLen = inBuf.readUInt32LE(at + 8);
      if (have - at < 16 + capLen) break;
      const padded = (capLen + 3) & ~3;
      const len = 32 + padded;
      if (o + len > out.length) flush();
      const usec = inBuf.readUInt32LE(at) * 1e6 + inBuf.readUInt32LE(at + 4);
      out.writeUInt32LE(6, o);
      out.writeUInt32LE(len, o + 4);
      out.writeUInt32LE(0, o + 8);
      out.writeUInt32LE(Math.floor(usec / 4294967296), o + 12);
      out.writeUInt32LE(usec % 4294967296, o + 16);
      out.writeUInt32LE(capLen, o + 20);
      out.writeUInt32LE(inBuf.readUInt32LE(at + 12), o + 24);
      inBuf.copy(out, o + 28, at + 16, at + 16 + capLen);
      out.fill(0, o + 28 + capLen, o + 28 + padded);
      out.writeUInt32LE(len, o + 28 + padded);
      o += len;
      at += 16 + capLen;
    }
    if (n === 0) break;
  }
  flush();
  closeSync(fi);
  closeSync(fo);
  return filePos;
}

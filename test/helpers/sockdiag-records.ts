import { endianness } from 'node:os';
import * as L from '../../src/sockets/sockdiag-layout.js';

/** One kad-sockdiag record's fields, as the C helper fills them (tests build streams from these). */
export interface RecordFields {
  family?: 4 | 6;
  state?: number;
  timer?: number;
  retrans?: number;
  sport: number;
  dport: number;
  /** 16 bytes, network order; IPv4 in the first 4. */
  src: readonly number[];
  dst: readonly number[];
  expiresMs?: number;
  rqueue?: number;
  wqueue?: number;
  uid?: number;
  inode?: number;
  /** [low 32 bits, high 32 bits]. */
  cookie?: [number, number];
  info?: { lastSend: number; lastRecv: number; lastAck: number; probes?: number; backoff?: number; rttUs?: number };
}

const LE = endianness() === 'LE';

export function streamHeader(recordBytes = L.SOCKDIAG_RECORD_BYTES, magic = L.SOCKDIAG_MAGIC): Buffer {
  const b = Buffer.alloc(L.SOCKDIAG_HEADER_BYTES);
  b.write(magic, 0, 'latin1');
  if (LE) b.writeUInt32LE(recordBytes, 4);
  else b.writeUInt32BE(recordBytes, 4);
  return b;
}

/** Writes one record at `off` of `b` (host byte order, as the helper writes it). */
export function writeRecord(b: Buffer, off: number, f: RecordFields): void {
  const u16 = (v: number, at: number): number => (LE ? b.writeUInt16LE(v, off + at) : b.writeUInt16BE(v, off + at));
  const u32 = (v: number, at: number): number => (LE ? b.writeUInt32LE(v >>> 0, off + at) : b.writeUInt32BE(v >>> 0, off + at));
  b.fill(0, off, off + L.SOCKDIAG_RECORD_BYTES);
  b[off + L.R_FAMILY] = f.family ?? 4;
  b[off + L.R_STATE] = f.state ?? 1;
  b[off + L.R_TIMER] = f.timer ?? 0;
  b[off + L.R_RETRANS] = f.retrans ?? 0;
  u16(f.sport, L.R_SPORT);
  u16(f.dport, L.R_DPORT);
  for (let i = 0; i < 16; i++) {
    b[off + L.R_SRC + i] = f.src[i] ?? 0;
    b[off + L.R_DST + i] = f.dst[i] ?? 0;
  }
  u32(f.expiresMs ?? 0, L.R_EXPIRES);
  u32(f.rqueue ?? 0, L.R_RQUEUE);
  u32(f.wqueue ?? 0, L.R_WQUEUE);
  u32(f.uid ?? 0, L.R_UID);
  u32(f.inode ?? 0, L.R_INODE);
  u32(f.cookie?.[0] ?? 0, L.R_COOKIE);
  u32(f.cookie?.[1] ?? 0, L.R_COOKIE + 4);
  if (f.info) {
    b[off + L.R_HAS_INFO] = 1;
    b[off + L.R_PROBES] = f.info.probes ?? 0;
    b[off + L.R_BACKOFF] = f.info.backoff ?? 0;
    u32(f.info.lastSend, L.R_LAST_SEND);
    u32(f.info.lastRecv, L.R_LAST_RECV);
    u32(f.info.lastAck, L.R_LAST_ACK);
    u32(f.info.rttUs ?? 0, L.R_RTT);
  }
}

/** A whole stream: header, then each record. */
export function sockdiagStream(records: readonly RecordFields[]): Buffer {
  const b = Buffer.alloc(L.SOCKDIAG_HEADER_BYTES + records.length * L.SOCKDIAG_RECORD_BYTES);
  streamHeader().copy(b, 0);
  records.forEach((r, i) => writeRecord(b, L.SOCKDIAG_HEADER_BYTES + i * L.SOCKDIAG_RECORD_BYTES, r));
  return b;
}

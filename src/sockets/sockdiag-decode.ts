/**
 * kad-sockdiag's binary records → SocketInfo, a chunk at a time, so a
 * million-socket dump is never one string or one buffer. Field offsets are
 * in sockdiag-layout.ts; this file is their only reader.
 */
import { endianness } from 'node:os';
import { addressText } from '../util/ip-text.js';
import { newSocketInfo } from './socket-info.js';
import { TCP_STATE_CODES, TIMER_CODES } from './socket-table.js';
import type { SocketEndpoint, SocketInfo, TimerName } from './socket-types.js';
import { keepaliveState } from './ss-parse.js';
import * as L from './sockdiag-layout.js';

const TIMER_NAMES: Record<string, TimerName> = {
  none: 'off',
  retransmit: 'on',
  keepalive: 'keepalive',
  'time-wait': 'timewait',
  'zero-window-probe': 'persist',
};

/** Thrown for a stream that is not kad-sockdiag's: its first line is the user's. */
export class SockdiagFormatError extends Error {}

/**
 * Decodes a stream of records pushed in arbitrary chunks. Addresses are
 * interned: a busy host has 10^5–10^6 sockets but few distinct addresses,
 * and one shared string per address keeps the table's memory per socket.
 */
export class SockdiagDecoder {
  readonly sockets: SocketInfo[] = [];
  private header: Buffer | null = null;
  private carry: Buffer | null = null;
  private readonly v4Text = new Map<number, string>();
  private readonly words = new Uint32Array(4);

  constructor(private readonly littleEndian = endianness() === 'LE') {}

  push(chunk: Buffer): void {
    let buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    if (this.header === null) {
      if (buf.length < L.SOCKDIAG_HEADER_BYTES) {
        this.carry = buf;
        return;
      }
      this.header = buf.subarray(0, L.SOCKDIAG_HEADER_BYTES);
      const magic = this.header.toString('latin1', 0, 4);
      const size = this.littleEndian ? this.header.readUInt32LE(4) : this.header.readUInt32BE(4);
      if (magic !== L.SOCKDIAG_MAGIC) throw new SockdiagFormatError(`not a kad-sockdiag stream (starts with ${JSON.stringify(magic)})`);
      if (size !== L.SOCKDIAG_RECORD_BYTES)
        throw new SockdiagFormatError(
          `kad-sockdiag writes ${size}-byte records, this kad reads ${L.SOCKDIAG_RECORD_BYTES}: rebuild it (scripts/install.sh)`,
        );
      buf = buf.subarray(L.SOCKDIAG_HEADER_BYTES);
    }
    const whole = buf.length - (buf.length % L.SOCKDIAG_RECORD_BYTES);
    for (let off = 0; off < whole; off += L.SOCKDIAG_RECORD_BYTES) {
      const s = this.record(buf, off);
      if (s) this.sockets.push(s);
    }
    if (whole < buf.length) this.carry = Buffer.from(buf.subarray(whole));
  }

  /** The table; throws when the stream stopped inside the header or a record. */
  end(): SocketInfo[] {
    if (this.header === null) throw new SockdiagFormatError('kad-sockdiag wrote no header');
    if (this.carry !== null) throw new SockdiagFormatError(`kad-sockdiag stopped inside a record (${this.carry.length} bytes left over)`);
    return this.sockets;
  }

  private u16(b: Buffer, at: number): number {
    return this.littleEndian ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  private u32(b: Buffer, at: number): number {
    return this.littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  private endpoint(b: Buffer, at: number, port: number, family: number): SocketEndpoint {
    const w = this.words;
    for (let k = 0; k < 4; k++) w[k] = b.readUInt32BE(at + 4 * k);
    // A v4-mapped address on an IPv6 socket is IPv4 on the wire (as everywhere in kad).
    const v4 = family === 4 ? 0 : w[0] === 0 && w[1] === 0 && w[2] === 0xffff ? 3 : -1;
    if (v4 >= 0) {
      const word = w[v4]!;
      let addr = this.v4Text.get(word);
      if (addr === undefined) {
        addr = addressText(w, v4, false);
        this.v4Text.set(word, addr);
      }
      return { family: 4, addr, port };
    }
    return { family: 6, addr: addressText(w, 0, true), port };
  }

  private record(b: Buffer, off: number): SocketInfo | null {
    const state = TCP_STATE_CODES[b[off + L.R_STATE]!];
    if (state === undefined) return null;
    const family = b[off + L.R_FAMILY]!;
    const local = this.endpoint(b, off + L.R_SRC, this.u16(b, off + L.R_SPORT), family);
    const peer = this.endpoint(b, off + L.R_DST, this.u16(b, off + L.R_DPORT), family);
    const s = newSocketInfo('sock_diag', state, local, peer);
    const timerCode = TIMER_CODES[b[off + L.R_TIMER]!];
    const name = timerCode === undefined ? 'unknown' : (TIMER_NAMES[timerCode] ?? 'unknown');
    const expiresMs = this.u32(b, off + L.R_EXPIRES);
    const count = b[off + L.R_RETRANS]!;
    s.timer = { name, expiresMs, count };
    s.keepaliveTimer = name === 'keepalive' && keepaliveState(state) ? { state: 'on', nextProbeS: expiresMs / 1000 } : { state: 'off' };
    s.probesOut = name === 'keepalive' ? count : 0;
    s.recvQ = this.u32(b, off + L.R_RQUEUE);
    s.sendQ = this.u32(b, off + L.R_WQUEUE);
    s.uid = this.u32(b, off + L.R_UID);
    s.inode = this.u32(b, off + L.R_INODE);
    s.cookie = this.cookie(b, off + L.R_COOKIE);
    if (b[off + L.R_HAS_INFO] === 1) {
      s.lastSendMs = this.u32(b, off + L.R_LAST_SEND);
      s.lastRecvMs = this.u32(b, off + L.R_LAST_RECV);
      s.lastAckMs = this.u32(b, off + L.R_LAST_ACK);
      s.idleMs = Math.min(s.lastSendMs, s.lastRecvMs, s.lastAckMs);
      s.idleFrom = 'socket';
    }
    return s;
  }

  /** Hex, as ss prints it after `sk:`; a u64 does not fit a double. */
  private cookie(b: Buffer, at: number): string {
    const lo = this.u32(b, at);
    const hi = this.u32(b, at + 4);
    return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
  }
}

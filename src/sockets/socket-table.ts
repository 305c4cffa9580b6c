import { endianness } from 'node:os';
import type { ProcSource } from './proc-source.js';
import { addressText } from '../util/ip-text.js';

/**
 * /proc/net/tcp and /proc/net/tcp6, parsed without external tools.
 * Format (kernel get_tcp4_sock / Documentation/networking/proc_net_tcp.rst):
 *   sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
 * Addresses are the raw __be32 words printed with %08X, i.e. in the host's
 * byte order: 0100007F is 127.0.0.1 on a little-endian machine.
 */

export type TcpState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'NEW_SYN_RECV'
  | 'UNKNOWN';

/** `st` (and sock_diag's idiag_state) → state. */
export const TCP_STATE_CODES: Readonly<Record<number, TcpState>> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW_SYN_RECV',
};

/** The `tr` column. sk_timer is the keepalive timer on an ESTABLISHED socket. */
export type SocketTimer = 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe' | 'unknown';
/** `tr` (and sock_diag's idiag_timer) → timer. */
export const TIMER_CODES: readonly SocketTimer[] = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];

export interface SocketAddress {
  family: 4 | 6;
  /** Dotted quad or RFC 5952 text; v4-mapped IPv6 is reported as plain IPv4 (same port space). */
  addr: string;
  port: number;
}

export interface SocketEntry {
  family: 4 | 6;
  local: SocketAddress;
  remote: SocketAddress;
  state: TcpState;
  txQueue: number;
  rxQueue: number;
  timer: SocketTimer;
  /** Time left on that timer, in USER_HZ (1/100 s) ticks. */
  timerTicks: number;
  retransmits: number;
  uid: number;
  /** The `timeout` column: icsk_probes_out for keepalive. */
  probesOut: number;
  inode: number;
}

/** /proc prints timer values in USER_HZ ticks (clock_t), which is 100 on every Linux ABI. */
const USER_HZ = 100;

/** Seconds until the row's timer fires (0 when already due). */
export function timerSeconds(e: SocketEntry): number {
  return e.timerTicks / USER_HZ;
}

/** The same in milliseconds, exact: a tick is a whole 10 ms. */
export function timerMs(e: SocketEntry): number {
  return e.timerTicks * (1000 / USER_HZ);
}

type TenFields = [string, string, string, string, string, string, string, string, string, string, ...string[]];

export function parseProcNetTcp(text: string, family: 4 | 6, littleEndian = endianness() === 'LE'): SocketEntry[] {
  const entries: SocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const e = parseProcNetTcpLine(line, family, littleEndian);
    if (e) entries.push(e);
  }
  return entries;
}

/**
 * The first `n` space-separated fields of a line, or null when it has
 * fewer. The rest of the line (refcnt, pointer, rto, cwnd …) is not needed,
 * and not splitting it halves the cost of a row.
 */
function firstFields(line: string, n: number): string[] | null {
  const out: string[] = [];
  let i = 0;
  const len = line.length;
  while (out.length < n) {
    while (i < len && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= len) return null;
    const start = i;
    while (i < len && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    out.push(line.slice(start, i));
  }
  return out;
}

/** One line of /proc/net/tcp{,6}; null for the header and anything that is not a socket. */
export function parseProcNetTcpLine(line: string, family: 4 | 6, littleEndian = endianness() === 'LE'): SocketEntry | null {
  const f = firstFields(line, 10);
  if (f === null) return null;
  // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode; the length was checked.
  const [sl, localText, remoteText, st, queues, timers, retrnsmt, uid, timeout, inode] = f as TenFields;
  if (!sl.endsWith(':')) return null;
  const local = parseEndpoint(localText, family, littleEndian);
  const remote = parseEndpoint(remoteText, family, littleEndian);
  const [tx, rx] = queues.split(':');
  const [tr, when] = timers.split(':');
  if (!local || !remote || tx === undefined || rx === undefined || tr === undefined || when === undefined) return null;
  const timerCode = parseInt(tr, 16);
  return {
    family,
    local,
    remote,
    state: TCP_STATE_CODES[parseInt(st, 16)] ?? 'UNKNOWN',
    txQueue: parseInt(tx, 16),
    rxQueue: parseInt(rx, 16),
    timer: TIMER_CODES[timerCode] ?? 'unknown',
    timerTicks: parseInt(when, 16),
    retransmits: parseInt(retrnsmt, 16),
    uid: Number(uid),
    probesOut: Number(timeout),
    inode: Number(inode),
  };
}

/**
 * Address text by its hex spelling: a busy host has 10^5–10^6 sockets but
 * few addresses, and decoding each one again was most of the parse.
 * Emptied when it grows past ADDRESS_CACHE_MAX (a scan of many peers).
 */
const addressCache = new Map<string, { family: 4 | 6; addr: string } | null>();
const ADDRESS_CACHE_MAX = 65_536;

function parseEndpoint(text: string, family: 4 | 6, littleEndian: boolean): SocketAddress | null {
  const colon = text.indexOf(':');
  if (colon < 0 || text.indexOf(':', colon + 1) >= 0) return null;
  const hexPort = text.slice(colon + 1);
  if (!/^[0-9A-Fa-f]{1,4}$/.test(hexPort)) return null;
  const hexAddr = text.slice(0, colon);
  const key = `${family}${littleEndian ? 'l' : 'b'}${hexAddr}`;
  let a = addressCache.get(key);
  if (a === undefined) {
    a = parseAddressHex(hexAddr, family, littleEndian);
    if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear();
    addressCache.set(key, a);
  }
  return a === null ? null : { family: a.family, addr: a.addr, port: parseInt(hexPort, 16) };
}

function parseAddressHex(hexAddr: string, family: 4 | 6, littleEndian: boolean): { family: 4 | 6; addr: string } | null {
  const expected = family === 4 ? 8 : 32;
  if (hexAddr.length !== expected || !/^[0-9A-Fa-f]+$/.test(hexAddr)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < hexAddr.length; i += 8) for (const b of wordBytes(hexAddr.slice(i, i + 8), littleEndian)) bytes.push(b);
  if (family === 4) return { family: 4, addr: bytes.join('.') };
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return { family: 4, addr: bytes.slice(12).join('.') };
  return { family: 6, addr: formatIpv6(bytes) };
}

function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const v = parseInt(hex8, 16);
  const be = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return littleEndian ? be.reverse() : be;
}

/** RFC 5952 text of 16 address bytes (the project's one IPv6 formatter lives in util/ip-text). */
export function formatIpv6(bytes: number[]): string {
  const words = new Uint32Array(4);
  for (let k = 0; k < 4; k++)
    words[k] = ((bytes[k * 4]! << 24) | (bytes[k * 4 + 1]! << 16) | (bytes[k * 4 + 2]! << 8) | bytes[k * 4 + 3]!) >>> 0;
  return addressText(words, 0, true);
}

export function isLoopback(a: SocketAddress): boolean {
  return a.family === 4 ? a.addr.startsWith('127.') : a.addr === '::1';
}

export interface SocketTableRead {
  entries: SocketEntry[];
  /** Files that could not be read, e.g. tcp6 on a host without IPv6. */
  unreadable: { file: string; reason: string }[];
}

/**
 * Both files, line by line when the source can stream them (a real /proc:
 * 28 MB of text at 190 k sockets is never one string), else whole.
 */
export function readSocketTable(source: ProcSource, keep: (e: SocketEntry) => boolean = () => true): SocketTableRead {
  const entries: SocketEntry[] = [];
  const unreadable: SocketTableRead['unreadable'] = [];
  const littleEndian = endianness() === 'LE';
  for (const [file, family] of [
    ['net/tcp', 4],
    ['net/tcp6', 6],
  ] as const) {
    const onLine = (line: string): void => {
      const e = parseProcNetTcpLine(line, family, littleEndian);
      if (e && keep(e)) entries.push(e);
    };
    if (source.readLines) {
      const r = source.readLines(file, onLine);
      if (!r.ok) unreadable.push({ file: `${source.roots.procRoot}/${file}`, reason: r.reason });
      continue;
    }
    const r = source.read(file);
    if (r.ok) for (const line of r.text.split('\n')) onLine(line);
    else unreadable.push({ file: `${source.roots.procRoot}/${file}`, reason: r.reason });
  }
  return { entries, unreadable };
}

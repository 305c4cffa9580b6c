import type { PacketRecord } from '../capture/packet-record.js';
import { flagLetters, type DecodedTcp } from '../decode/decoded-tcp.js';
import type { PacketEvent } from '../model/analysis-report.js';
import {
  PH_ACK,
  PH_C2S,
  PH_CONN,
  PH_DST,
  PH_END,
  PH_FLAGS,
  PH_IPID,
  PH_KINDS,
  PH_LEN,
  PH_NULL,
  PH_S2C,
  PH_SRC,
  PH_TS,
  PH_TTL,
  PH_WIN,
  PHRASE_COUNT,
} from '../track/event-line-layout.js';
import { KIND_NAMES } from '../track/packet-kind.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { addressText } from '../util/ip-text.js';
import { epochText } from '../util/time-text.js';

/** One `--events` JSON object for the packet just tracked: the definition EventLineEncoder's bytes must equal. */
export function packetEvent(tracker: TcpTracker, pkt: DecodedTcp, rec: PacketRecord, kind: number, file?: string): PacketEvent {
  const v6 = pkt.ipVersion === 6;
  const ev: PacketEvent = {
    frame: rec.frame,
    ts: epochText(rec.tsSec, rec.tsNsec),
    conn: tracker.lastId,
    dir: tracker.lastDir === 0 ? 'c2s' : 's2c',
    kind: KIND_NAMES[kind]!,
    flags: flagLetters(pkt.flags),
    seq: pkt.seq,
    ack: pkt.ack,
    len: pkt.payloadLen,
    ttl: pkt.ttl,
    win: pkt.window,
    src: addressText(pkt.src, 0, v6),
    dst: addressText(pkt.dst, 0, v6),
    ipId: pkt.ipId >= 0 ? pkt.ipId : null,
  };
  return file === undefined ? ev : { file, ...ev };
}

/** Where encoded lines go: room for `bytes` more at the returned offset of `buffer`, then commit(end). */
export interface ByteSink {
  readonly buffer: Buffer;
  reserve(bytes: number): number;
  commit(end: number): void;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Fixed text as bytes, and as little-endian 32-bit words for four bytes per store. */
interface Fixed {
  bytes: Uint8Array;
  words: Uint32Array;
}

function fixed(s: string): Fixed {
  return fixedBytes(ascii(s));
}

function fixedBytes(bytes: Uint8Array): Fixed {
  const words = new Uint32Array(bytes.length >> 2);
  for (let i = 0; i < words.length; i++)
    words[i] = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
  return { bytes, words };
}

const KIND_BYTES = KIND_NAMES.map((k) => fixed(`,"kind":"${k}","flags":"`));
const FLAG_BYTES = Array.from({ length: 256 }, (_, f) => fixed(`${flagLetters(f)}","seq":`));
const C2S = fixed(',"dir":"c2s"');
const S2C = fixed(',"dir":"s2c"');
const OCTETS = Array.from({ length: 256 }, (_, i) => ascii(String(i)));
const NULL = fixed('null');
const K_TS = fixed(',"ts":"');
const K_CONN = fixed('","conn":');
const K_ACK = fixed(',"ack":');
const K_LEN = fixed(',"len":');
const K_TTL = fixed(',"ttl":');
const K_WIN = fixed(',"win":');
const K_SRC = fixed(',"src":"');
const K_DST = fixed('","dst":"');
const K_IPID = fixed('","ipId":');
const END = ascii('}\n');

/** The start of a line, up to the frame number: with the capture's name (UTF-8, as JSON.stringify's text is written) when there are several. */
function headBytes(file: string | undefined): Uint8Array {
  return Uint8Array.from(Buffer.from(file === undefined ? '{"frame":' : `{"file":${JSON.stringify(file)},"frame":`));
}

/**
 * The fixed texts of a line for the WebAssembly encoder (src/wasm/event-line.ts),
 * in track/event-line-layout.ts order: the same texts EventLineEncoder writes.
 */
export function eventLinePhrases(file?: string): { head: Uint8Array; phrases: Uint8Array[] } {
  const phrases: Uint8Array[] = Array.from({ length: PHRASE_COUNT }, () => new Uint8Array(0));
  const at: [number, Fixed | Uint8Array][] = [
    [PH_TS, K_TS],
    [PH_CONN, K_CONN],
    [PH_C2S, C2S],
    [PH_S2C, S2C],
    [PH_ACK, K_ACK],
    [PH_LEN, K_LEN],
    [PH_TTL, K_TTL],
    [PH_WIN, K_WIN],
    [PH_SRC, K_SRC],
    [PH_DST, K_DST],
    [PH_IPID, K_IPID],
    [PH_NULL, NULL],
    [PH_END, END],
  ];
  for (const [i, f] of at) phrases[i] = f instanceof Uint8Array ? f : f.bytes;
  KIND_BYTES.forEach((f, k) => (phrases[PH_KINDS + k] = f.bytes));
  FLAG_BYTES.forEach((f, k) => (phrases[PH_FLAGS + k] = f.bytes));
  return { head: headBytes(file), phrases };
}

/** A line's fixed text and its longest numbers and IPv4 addresses, with room to spare; IPv6 text is measured. */
const MAX_V4_LINE = 320;

/**
 * Writes packetEvent's JSON line straight into an output buffer, byte for
 * byte what JSON.stringify(packetEvent(...)) gives: --events writes a line
 * per packet, and an object, a dozen strings and a stringify per line cost
 * four times the tracking (issue 23). The helpers take and return the write
 * position so that it stays in a register.
 */
export class EventLineEncoder {
  private readonly head: Fixed;

  constructor(file?: string) {
    this.head = fixedBytes(headBytes(file));
  }

  write(tracker: TcpTracker, pkt: DecodedTcp, rec: PacketRecord, kind: number, out: ByteSink): void {
    const v6 = pkt.ipVersion === 6;
    const src = v6 ? addressText(pkt.src, 0, true) : '';
    const dst = v6 ? addressText(pkt.dst, 0, true) : '';
    let at = out.reserve(MAX_V4_LINE + this.head.bytes.length + src.length + dst.length);
    const b = out.buffer;
    at = put(b, at, this.head);
    at = int(b, at, rec.frame);
    at = put(b, at, K_TS);
    at = int(b, at, rec.tsSec);
    b[at++] = 0x2e;
    at = nanos(b, at, rec.tsNsec);
    at = put(b, at, K_CONN);
    at = int(b, at, tracker.lastId);
    at = put(b, at, tracker.lastDir === 0 ? C2S : S2C);
    at = put(b, at, KIND_BYTES[kind]!);
    at = put(b, at, FLAG_BYTES[pkt.flags & 0xff]!);
    at = int(b, at, pkt.seq);
    at = put(b, at, K_ACK);
    at = int(b, at, pkt.ack);
    at = put(b, at, K_LEN);
    at = int(b, at, pkt.payloadLen);
    at = put(b, at, K_TTL);
    at = int(b, at, pkt.ttl);
    at = put(b, at, K_WIN);
    at = int(b, at, pkt.window);
    at = put(b, at, K_SRC);
    at = v6 ? text(b, at, src) : v4(b, at, pkt.src[0]!);
    at = put(b, at, K_DST);
    at = v6 ? text(b, at, dst) : v4(b, at, pkt.dst[0]!);
    at = put(b, at, K_IPID);
    at = pkt.ipId >= 0 ? int(b, at, pkt.ipId) : put(b, at, NULL);
    b[at++] = 0x7d;
    b[at++] = 0x0a;
    out.commit(at);
  }
}

function bytes(b: Buffer, at: number, s: Uint8Array): number {
  for (let i = 0; i < s.length; i++) b[at++] = s[i]!;
  return at;
}

/** Fixed text, four bytes per store where it can: most of a line is its fixed text. */
function put(b: Buffer, at: number, f: Fixed): number {
  const w = f.words;
  const dv = viewOf(b);
  for (let i = 0; i < w.length; i++) dv.setUint32(at + 4 * i, w[i]!, true);
  const s = f.bytes;
  for (let i = w.length << 2; i < s.length; i++) b[at + i] = s[i]!;
  return at + s.length;
}

let viewed: Buffer | null = null;
let view = new DataView(new ArrayBuffer(0));

function viewOf(b: Buffer): DataView {
  if (b !== viewed) {
    viewed = b;
    view = new DataView(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
  }
  return view;
}

/** ASCII text only (the keys, and IPv6 addresses). */
function text(b: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
  return at;
}

function digitsU32(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** "00" to "99": two digits per division. */
const PAIRS = Uint8Array.from(Array.from({ length: 100 }, (_, i) => [0x30 + Math.floor(i / 10), 0x30 + (i % 10)]).flat());

/** As JSON.stringify writes a number: 32-bit unsigned integers (nearly all) two digits at a time, anything else through it. */
function int(b: Buffer, at: number, n: number): number {
  if (!(n >= 0 && n <= 0xffffffff && n === Math.floor(n))) return text(b, at, JSON.stringify(n));
  const end = at + digitsU32(n);
  let p = end;
  while (n >= 100) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    b[--p] = PAIRS[r + 1]!;
    b[--p] = PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    b[--p] = PAIRS[(n << 1) + 1]!;
    b[--p] = PAIRS[n << 1]!;
  } else b[--p] = 0x30 + n;
  return end;
}

/** Nine digits, zero-padded, as epochText writes the fraction. */
function nanos(b: Buffer, at: number, n: number): number {
  if (!(n >= 0 && n <= 999_999_999 && n === Math.floor(n))) return text(b, at, String(n).padStart(9, '0'));
  for (let p = at + 7; p > at; p -= 2) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    b[p] = PAIRS[r]!;
    b[p + 1] = PAIRS[r + 1]!;
    n = q;
  }
  b[at] = 0x30 + n;
  return at + 9;
}

function v4(b: Buffer, at: number, w: number): number {
  at = bytes(b, at, OCTETS[w >>> 24]!);
  b[at++] = 0x2e;
  at = bytes(b, at, OCTETS[(w >>> 16) & 255]!);
  b[at++] = 0x2e;
  at = bytes(b, at, OCTETS[(w >>> 8) & 255]!);
  b[at++] = 0x2e;
  return bytes(b, at, OCTETS[w & 255]!);
}

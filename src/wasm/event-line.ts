// AssemblyScript: the `--events` JSON line of each packet the whole-run walk
// tracks (trackPcapRecords), written here into an output region that the
// JavaScript side writes out when the walk returns: a line per packet encoded
// in JavaScript cost more than tracking it (issue 23). The bytes must equal
// JSON.stringify(packetEvent(...)) (render/event-lines.ts), whose fixed texts
// the JavaScript side copies into the phrase table before the walk.
import {
  HEAD_MAX, LINE_MAX, LINES_BYTES, PH_ACK, PH_C2S, PH_CONN, PH_DST, PH_END, PH_FLAGS, PH_IPID, PH_KINDS, PH_LEN, PH_NULL, PH_S2C,
  PH_SRC, PH_TS, PH_TTL, PH_WIN, PHRASE_COUNT, PHRASE_SLOT,
} from '../track/event-line-layout';
import { P_ACK, P_DST, P_FLAGS, P_IPID, P_IPVER, P_PAYLOAD, P_SEQ, P_SRC, P_TTL, P_WINDOW } from '../decode/decoded-layout';

let phrasesAt: usize = 0;
let headAt: usize = 0;
let linesAt: usize = 0;
/** "00" to "99": two digits per division. */
let pairsAt: usize = 0;
/** Each byte value's decimal text and a dot (four bytes: one store), then each one's length with the dot (256 bytes). */
let octetsAt: usize = 0;
let headLen: usize = 0;
let used: usize = 0;
/** Whether the walk writes lines (set for --events without a filter). */
export let linesOn = false;

export function eventPhrasesAddress(): usize { return phrasesAt; }
export function eventHeadAddress(): usize { return headAt; }
export function eventLinesAddress(): usize { return linesAt; }
export function eventLinesUsed(): usize { return used; }
export function clearEventLines(): void { used = 0; }

/**
 * Places the encoder's regions from `at` up (the tracker's init; in static
 * data they would be a quarter megabyte of zeroes in the module), off until
 * startEventLines; returns their end.
 */
export function placeEventLines(at: usize): usize {
  phrasesAt = at;
  headAt = phrasesAt + <usize>PHRASE_COUNT * PHRASE_SLOT;
  pairsAt = headAt + HEAD_MAX + 64;
  octetsAt = pairsAt + 256;
  linesAt = octetsAt + 256 * 5;
  linesOn = false;
  used = 0;
  return linesAt + LINES_BYTES;
}

/** Turns the lines on, once the phrase table and the head (`bytes` long) are in place. */
export function startEventLines(bytes: i32): void {
  headLen = <usize>bytes;
  used = 0;
  for (let i = 0; i < 100; i++) {
    store<u8>(pairsAt + (<usize>i << 1), <u8>(0x30 + i / 10));
    store<u8>(pairsAt + (<usize>i << 1) + 1, <u8>(0x30 + i % 10));
  }
  for (let i: u32 = 0; i < 256; i++) {
    const at = octetsAt + (<usize>i << 2);
    const end = u32Text(at, i);
    store<u8>(end, 0x2e);
    store<u8>(octetsAt + 1024 + <usize>i, <u8>(end + 1 - at));
  }
  linesOn = true;
}

/** The walk must return before the next packet when there is no room for its line. */
export function eventLinesFull(): bool {
  return <usize>LINES_BYTES - used < <usize>LINE_MAX;
}

/** `n` bytes from `from`, eight at a time: a line's slack takes the overrun, the next text overwrites it. */
@inline function copy(at: usize, from: usize, n: usize): usize {
  for (let k: usize = 0; k < n; k += 8) store<u64>(at + k, load<u64>(from + k));
  return at + n;
}

@inline function phrase(at: usize, i: i32): usize {
  const p = phrasesAt + <usize>i * PHRASE_SLOT;
  return copy(at, p + 1, <usize>load<u8>(p));
}

@inline function pair(v: u32): u16 {
  return load<u16>(pairsAt + (<usize>v << 1));
}

/** As JSON.stringify writes an integer; a timestamp's seconds pass 2^32 only when a writer folded whole seconds into the fraction. */
function int(at: usize, v: u64): usize {
  if (v <= 0xffffffff) return u32Text(at, <u32>v);
  const hi = v / 1000000000;
  at = int(at, hi);
  return nanos(at, <u32>(v - hi * 1000000000));
}

@inline function digitCount(v: u32): usize {
  if (v < 100000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** Four digits per round from the end, in two independent halves: the divisions of one round do not wait on each other. */
function u32Text(at: usize, v: u32): usize {
  const end = at + digitCount(v);
  let p = end;
  while (v >= 10000) {
    const q = v / 10000;
    const r = v - q * 10000;
    const hi = r / 100;
    store<u16>(p - 2, pair(r - hi * 100));
    store<u16>(p - 4, pair(hi));
    p -= 4;
    v = q;
  }
  if (v >= 100) {
    const q = v / 100;
    store<u16>(p - 2, pair(v - q * 100));
    p -= 2;
    v = q;
  }
  if (v >= 10) store<u16>(p - 2, pair(v));
  else store<u8>(p - 1, <u8>(0x30 + v));
  return end;
}

function i32Text(at: usize, v: i32): usize {
  if (v >= 0) return u32Text(at, <u32>v);
  store<u8>(at, 0x2d);
  return u32Text(at + 1, <u32>(-<i64>v));
}

/** Nine digits, zero-padded, as epochText writes the fraction. */
function nanos(at: usize, v: u32): usize {
  for (let p = at + 7; p > at; p -= 2) {
    const q = v / 100;
    store<u16>(p, pair(v - q * 100));
    v = q;
  }
  store<u8>(at, <u8>(0x30 + v));
  return at + 9;
}

/** A dotted quad, an octet and its dot per store; the last dot is left for the next text to overwrite. */
function v4(at: usize, w: u32): usize {
  at = octet(at, w >>> 24);
  at = octet(at, (w >>> 16) & 255);
  at = octet(at, (w >>> 8) & 255);
  return octet(at, w & 255) - 1;
}

@inline function octet(at: usize, b: u32): usize {
  store<u32>(at, load<u32>(octetsAt + (<usize>b << 2)));
  return at + <usize>load<u8>(octetsAt + 1024 + <usize>b);
}

@inline function group(a: usize, i: i32): u32 {
  const w = load<u32>(a + (<usize>(i >> 1) << 2));
  return (i & 1) == 0 ? w >>> 16 : w & 0xffff;
}

function hex(at: usize, g: u32): usize {
  let shift = 12;
  while (shift > 0 && (g >>> shift) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) {
    const d = (g >>> shift) & 15;
    store<u8>(at++, <u8>(d < 10 ? 0x30 + d : 0x57 + d));
  }
  return at;
}

/** As util/ip-text.ts addressText: RFC 5952, the longest run (≥ 2) of zero groups compressed, the first one on ties. */
function v6(at: usize, a: usize): usize {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (group(a, i) != 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && group(a, j) == 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  for (let i = 0; i < 8; i++) {
    if (i == bestStart) {
      store<u16>(at, 0x3a3a);
      at += 2;
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i != bestStart + bestLen) store<u8>(at++, 0x3a);
    at = hex(at, group(a, i));
  }
  return at;
}

/** The line of the packet just tracked (the decoded packet at `p`), as packetEvent builds it. */
export function writeEventLine(p: usize, frame: u32, sec: f64, nsec: i32, conn: u32, dir: i32, kind: i32): void {
  let at = copy(linesAt + used, headAt, headLen);
  at = u32Text(at, frame);
  at = phrase(at, PH_TS);
  at = int(at, <u64>sec);
  store<u8>(at++, 0x2e);
  at = nanos(at, <u32>nsec);
  at = phrase(at, PH_CONN);
  at = u32Text(at, conn);
  at = phrase(at, dir == 0 ? PH_C2S : PH_S2C);
  at = phrase(at, PH_KINDS + kind);
  at = phrase(at, PH_FLAGS + <i32>load<u8>(p + P_FLAGS));
  at = u32Text(at, load<u32>(p + P_SEQ));
  at = phrase(at, PH_ACK);
  at = u32Text(at, load<u32>(p + P_ACK));
  at = phrase(at, PH_LEN);
  at = i32Text(at, load<i32>(p + P_PAYLOAD));
  at = phrase(at, PH_TTL);
  at = u32Text(at, <u32>load<u8>(p + P_TTL));
  at = phrase(at, PH_WIN);
  at = u32Text(at, <u32>load<u16>(p + P_WINDOW));
  const isV6 = load<u8>(p + P_IPVER) == 6;
  at = phrase(at, PH_SRC);
  at = isV6 ? v6(at, p + P_SRC) : v4(at, load<u32>(p + P_SRC));
  at = phrase(at, PH_DST);
  at = isV6 ? v6(at, p + P_DST) : v4(at, load<u32>(p + P_DST));
  at = phrase(at, PH_IPID);
  const ipId = load<i32>(p + P_IPID);
  at = ipId >= 0 ? u32Text(at, <u32>ipId) : phrase(at, PH_NULL);
  at = phrase(at, PH_END);
  used = at - linesAt;
}

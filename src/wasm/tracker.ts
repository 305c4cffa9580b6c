// AssemblyScript: the per-packet pass (decode → flow lookup → Wireshark-style
// classification → connection record and event log), compiled to WebAssembly
// because this is where a capture's millions of packets go: the same logic in
// JavaScript ran at half the speed (typed-array bounds checks, boxed uint32s).
// src/track/tcp-tracker.ts is its JavaScript face; the record and event
// layouts are the shared files in src/track/.
import {
  B_DIR_FLAGS, B_END_INFO, B_LAST_KIND, B_SETUP, B_TTL_DATA, B_TTL_DATA_MAX, B_TTL_DATA_MIN, B_TTL_FIRST, B_TTL_MAX, B_TTL_MIN, B_WSCALE,
  D_FIN, D_IPID_NONZERO, D_KEEPALIVE, D_NEXTSEQ_SET, D_SACK_PERM, D_SYN_SEEN, D_TIMESTAMPS, D_ZWP,
  END_BY_B, END_FIN, END_HALF_CLOSED, END_KIND_MASK, END_REJECTED, END_RESET,
  F_MAX_IDLE, F_SYN_OR_RTT, F_T_FIRST, F_T_LAST,
  H_KEEPALIVE_ACKS, H_KEEPALIVES, H_LAST_IPID, H_RETRANS, H_MSS, H_PORT, H_STATE, H_WIN, RECORD_BYTES,
  ST_ESTABLISHED, ST_EVENT_DIR_B, ST_IPV6, ST_LAST_DIR_B, ST_LAST_LOGGED, ST_MIDSTREAM, ST_RESET, ST_RTT_KNOWN, ST_SAW_SYN, ST_SAW_SYNACK,
  ST_UNANSWERED,
  SU_REVIVED, SU_RST_BEFORE_SYNACK, SU_SETUP_KNOWN, SU_SYN_ODD_ACK, SU_SYN_TIMED, SU_SYNACK_AFTER_ACK, SU_SYNACK_TIMED,
  W_ADDR, W_BYTES, W_END_FRAME, W_FIRST_FRAME, W_ISN, W_LAST_ACK, W_LAST_FRAME_DIR,
  W_COLD, W_ID, W_MAX_IDLE_FRAME, W_NEXT_SEQ, W_PAYLOAD, W_PKTS, W_SETUP_US, WSCALE_UNSEEN,
} from '../track/record-layout';
import {
  CB_DATA_AFTER_RST, CB_SYN_RETRIES, CH_DUPLICATES, CH_GAPS, CH_KEEPALIVE_ACKS_HIGH, CH_KEEPALIVES_HIGH, CH_RETRANS_HIGH, CH_RSTS, COLD_BYTES,
  CW_BYTES_HIGH, CW_PAYLOAD_HIGH, CW_ZWPS,
} from '../track/cold-layout';
import { V6_BYTES, VW_ADDR } from '../track/v6-layout';
import {
  E_ACK, E_CONN, E_DIR, E_FLAGS, E_FRAME, E_IDLE, E_IPID, E_KIND, E_LEN, E_OPTS, E_SEQ, E_STRIDE, E_TIME, E_TTL, E_WIN,
} from '../track/event-layout';
import {
  AWAITS_ANSWER_KINDS, DUPLICATE_WINDOW_NS, IDLE_MARK_NS, K_ACK, K_DATA, K_DUPLICATE, K_FIN, K_KEEPALIVE, K_KEEPALIVE_ACK, K_RETRANSMISSION,
  K_RST, K_SYN, K_SYNACK, K_ZERO_WINDOW_PROBE,
} from '../track/kind-codes';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/tcp-flags';
import {
  P_ACK, P_BYTES, P_DPORT, P_DST, P_FLAGS, P_IPID, P_IPLEN, P_IPVER, P_MSS, P_PAYLOAD, P_SACKPERM, P_SEQ, P_SPORT, P_SRC,
  P_TIMESTAMPS, P_TTL, P_WINDOW, P_WSCALE,
} from '../decode/decoded-layout';
import { DECODE_STATUS_COUNT, DECODED_TCP } from '../decode/decode-status';
import {
  N_ACK, N_BITS, N_CONN, N_DIR, N_EXPECTED_SEQ, N_EXPECTED_SEQ_SET, N_FLAGS, N_FRAME, N_HAS_TIMESTAMPS, N_IPID, N_LAST_IPID,
  N_LAST_IPID_SET, N_PREV_DIR_B, N_PREV_FRAME, N_PREV_IDLE, N_PREV_IDLE_KNOWN, N_PREV_KIND, N_PREV_SEEN, N_PREV_TIME, N_SEGLEN,
  N_SEQ, N_TIME, N_TTL, N_WINDOW, NOTE_BYTES, NOTE_MAX,
} from '../track/reset-note-layout';
import { decodeFrame } from './decode';
import { eventLinesFull, linesOn, placeEventLines, writeEventLine } from './event-line';
export { clearEventLines, eventHeadAddress, eventLinesAddress, eventLinesFull, eventLinesUsed, eventPhrasesAddress, startEventLines, writeEventLine } from './event-line';
export { decodeTallyAddress } from './decode-tally';
import {
  blockCapLen, blockLinkType, blockNext, blockNsec, blockPtr, blockSec, blockWireLen, nextPacketBlock, pcapngDropsFrom,
} from './pcapng-walk';
export { pcapngDrops, pcapngDropsSeen, pcapngInterface, pcapngInterfaces } from './pcapng-walk';
import {
  MAX_CONNECTIONS, flowAssign, flowBytes, flowFind, flowsFull, flowsInit, flowsMoved, flowsRebuild, flowsRehash, flowsV6Pool, hashPacket, isIpv6, lastDir,
  slotCount, slotsAt,
} from './flow-table';
import {
  POOL_BYTES, entryOf, entryRelease, entryTake, poolAt, poolCapacity, poolEnd, poolFull, poolGrown, poolGrowth, poolInit, poolLive, poolMoved,
} from './entry-pool';

@external('kad', 'outOfMemory')
declare function outOfMemory(): void;

/**
 * 0 in every real build. The bench's ablation (bench/ablation-probe.ts) builds
 * the walk cut short with `asc --use KAD_ABLATE=N`, to time what each stage
 * adds: 1 decodes and counts every frame and tracks none; 2 also finds or
 * opens each packet's connection; 3 also keeps the connection record, all but
 * the event log. Those builds' analyses are meaningless: only their time is.
 */
// @ts-ignore: a compile-time constant, given only by such a build
const ABLATE: i32 = isDefined(KAD_ABLATE) ? KAD_ABLATE : 0;

/**
 * -1 in every real build, where its test compiles away. The bench's
 * two-core probe (bench/split-probe.ts) builds the walk with
 * `asc --use KAD_SHARD=0|1`: each tracks only the connections of one half of
 * the hash space and lets the other half's packets pass untouched, so that two
 * threads, one per build, show how far splitting the flow table could go.
 */
// @ts-ignore: a compile-time constant, given only by such a build
const SHARD: i32 = isDefined(KAD_SHARD) ? KAD_SHARD : -1;

/** Frames that do not lie in the chunk area are copied here first. */
const SCRATCH_BYTES: usize = 1 << 18;
const PAGE: usize = 65536;

// -- memory regions, from __heap_base up: packet block, counters, scratch, chunk, then the five
// that grow: connection records, events, flow table, cold entries, IPv6 address entries (each
// move makes room for the one below) --
let packetAt: usize = 0;
/** The reset-note ring: a u32 count, then NOTE_MAX notes (see reset-note-layout.ts). */
let notesAt: usize = 0;
let scratchAt: usize = 0;
/** The descriptors of the two entry pools (entry-pool.ts): cold entries, then IPv6 addresses. */
let coldPool: usize = 0;
let v6Pool: usize = 0;
/** Entries each pool starts with. */
const POOL_START = 64;
let chunkAt: usize = 0;
let chunkBytes: usize = 0;
let storeAt: usize = 0;
let capacity: i32 = 0;
let count: i32 = 0;
let eventsAt: usize = 0;
let eventCapacity: i32 = 0;
let eventCount: i32 = 0;
/** Everything at or above this address is still the zeroes memory.grow gave. */
let dirtyEnd: usize = 0;

let haveBase = false;
let baseSec: f64 = 0;
let baseNsec: f64 = 0;
let lastConn: i32 = -1;
/** The number the next connection gets (W_ID). */
let nextId: u32 = 1;
let lastDirection: i32 = 0;
let lastTime: f64 = 0;
/** Frames of this capture that were copies of the packet before them (K_DUPLICATE), forgotten connections' too. */
let duplicates: u32 = 0;

@inline function align(x: usize, a: usize): usize {
  return (x + a - 1) & ~(a - 1);
}

function ensureMemory(end: usize): void {
  const have = <usize>memory.size() * PAGE;
  if (end <= have) return;
  const pages = <i32>((end - have + PAGE - 1) / PAGE);
  if (memory.grow(pages) < 0) outOfMemory();
}

/** Zeroes [from, to) where earlier use may have left bytes. */
function zero(from: usize, to: usize): void {
  const end = to < dirtyEnd ? to : dirtyEnd;
  if (end > from) memory.fill(from, 0, end - from);
}

@inline function flowsEnd(): usize {
  return slotsAt + flowBytes(slotCount);
}

export function init(initialConnections: i32, chunk: i32): void {
  packetAt = align(__heap_base, 64);
  countsAt = packetAt + align(P_BYTES, 64);
  notesAt = countsAt + 64;
  store<u32>(notesAt, 0);
  coldPool = notesAt + align(8 + <usize>NOTE_MAX * NOTE_BYTES, 64);
  v6Pool = coldPool + POOL_BYTES;
  scratchAt = v6Pool + align(POOL_BYTES, 64);
  chunkAt = scratchAt + SCRATCH_BYTES;
  chunkBytes = align(<usize>chunk, 64);
  storeAt = align(placeEventLines(chunkAt + chunkBytes), 64);
  capacity = initialConnections < 16 ? 16 : initialConnections;
  count = 0;
  eventCount = 0;
  eventCapacity = 1024;
  eventsAt = storeAt + <usize>capacity * RECORD_BYTES;
  let slots = 16;
  while (slots < capacity * 2) slots *= 2;
  const flowsAt = eventsAt + <usize>eventCapacity * E_STRIDE;
  const coldAt = flowsAt + flowBytes(slots);
  const v6At = coldAt + <usize>POOL_START * COLD_BYTES;
  const end = v6At + <usize>POOL_START * V6_BYTES;
  ensureMemory(end);
  dirtyEnd = end;
  flowsInit(flowsAt, slots);
  poolInit(coldPool, coldAt, COLD_BYTES, <usize>W_COLD << 2, POOL_START);
  poolInit(v6Pool, v6At, V6_BYTES, <usize>W_ADDR << 2, POOL_START);
  flowsV6Pool(v6Pool);
  haveBase = false;
  lastConn = -1;
  nextId = 1;
  duplicates = 0;
}

// Where things are, for the JavaScript side's views.
export function packetAddress(): usize { return packetAt; }
export function resetNotesAddress(): usize { return notesAt; }
export function scratchAddress(): usize { return scratchAt; }
export function scratchBytes(): usize { return SCRATCH_BYTES; }
export function chunkAddress(): usize { return chunkAt; }
export function chunkSize(): usize { return chunkBytes; }
export function storeAddress(): usize { return storeAt; }
export function storeCapacity(): i32 { return capacity; }
export function connectionCount(): i32 { return count; }
export function flowSlots(): i32 { return slotCount; }
export function eventsAddress(): usize { return eventsAt; }
export function eventsCapacity(): i32 { return eventCapacity; }
export function eventsCount(): i32 { return eventCount; }
export function coldAddress(): usize { return poolAt(coldPool); }
export function coldEntries(): i32 { return poolCapacity(coldPool); }
export function coldHeld(): i32 { return poolLive(coldPool); }
export function v6Address(): usize { return poolAt(v6Pool); }
export function v6Entries(): i32 { return poolCapacity(v6Pool); }
export function v6Held(): i32 { return poolLive(v6Pool); }
export function timeBaseSec(): f64 { return baseSec; }
export function timeBaseNsec(): f64 { return baseNsec; }
export function lastConnection(): i32 { return lastConn; }
export function lastDirectionOf(): i32 { return lastDirection; }
export function lastConnectionId(): u32 { return lastConn < 0 ? 0 : load<u32>(storeAt + <usize>lastConn * RECORD_BYTES + (<usize>W_ID << 2)); }
export function lastTimeNs(): f64 { return lastTime; }
export function duplicateFrames(): u32 { return duplicates; }

/** Decode only (no tracking), into the packet block; the decode status. */
export function decode(ptr: usize, capLen: i32, wireLen: i32, linkType: i32): i32 {
  return decodeFrame(ptr, capLen, wireLen, linkType, packetAt);
}

@inline function topEnd(): usize {
  return poolEnd(v6Pool);
}

/** Moves everything from `from` to the top up by `by` bytes (the regions below grow). */
function moveUp(from: usize, by: usize): void {
  const end = topEnd();
  ensureMemory(end + by);
  memory.copy(from + by, from, end - from);
  // What the region below grows into held moved bytes: it must read as zeroes.
  zero(from, from + by);
  if (end + by > dirtyEnd) dirtyEnd = end + by;
  // The pools lie above the flow table; a pool is never empty, so none starts where the one below it ends.
  if (poolAt(coldPool) >= from) poolMoved(coldPool, by);
  if (poolAt(v6Pool) >= from) poolMoved(v6Pool, by);
}

/** A new, zeroed connection id, growing the store (moving the events and flow table up) when full. */
function addConnection(): i32 {
  if (count == MAX_CONNECTIONS) outOfMemory();
  if (count == capacity) {
    const by = <usize>capacity * RECORD_BYTES;
    moveUp(eventsAt, by);
    eventsAt += by;
    flowsMoved(slotsAt + by);
    capacity *= 2;
  }
  const c = count++;
  const r = storeAt + <usize>c * RECORD_BYTES;
  store<u8>(r + B_WSCALE, <u8>(WSCALE_UNSEEN | (WSCALE_UNSEEN << 4)));
  store<u16>(r + B_TTL_MIN, 0xffff);
  return c;
}

/** After an insertion left the flow table half full: rehash into twice the slots, in place. */
function growFlows(): void {
  const at = slotsAt;
  moveUp(flowsEnd(), flowBytes(slotCount));
  const tmp = topEnd();
  const slots = slotCount * 2;
  const bytes = flowBytes(slots);
  ensureMemory(tmp + bytes);
  zero(tmp, tmp + bytes);
  if (tmp + bytes > dirtyEnd) dirtyEnd = tmp + bytes;
  flowsRehash(tmp, slots, storeAt);
  memory.copy(at, tmp, bytes);
  flowsMoved(at);
}

/** Record r's entry of pool p, taken on first use (its region grows, moving the pools above it, never a record). */
function entryFor(p: usize, r: usize): usize {
  const e = entryOf(p, r);
  if (e != 0) return e;
  if (poolFull(p)) {
    moveUp(poolEnd(p), poolGrowth(p));
    poolGrown(p);
  }
  return entryTake(p, r);
}

@inline function coldFor(r: usize): usize {
  return entryFor(coldPool, r);
}

/** Adds one to a u16 count of record r's cold entry, stopping at 65535. */
function bumpCold16(r: usize, field: i32): void {
  const at = coldFor(r) + (<usize>field << 1);
  const n = load<u16>(at);
  if (n < 0xffff) store<u16>(at, n + 1);
}

/** Adds one to a u8 count of record r's cold entry, stopping at 255. */
function bumpCold8(r: usize, field: i32): void {
  const at = coldFor(r) + <usize>field;
  const n = load<u8>(at);
  if (n < 0xff) store<u8>(at, n + 1);
}

/** Adds `v` to a u32 of the record whose bits 32 and up are the u32 `high` of its cold entry. */
@inline function addWide32(r: usize, field: i32, high: i32, v: u32): void {
  const at = u32At(r, field);
  const was = load<u32>(at);
  const now = was + v;
  store<u32>(at, now);
  if (now < was) {
    const h = coldFor(r) + (<usize>high << 2);
    store<u32>(h, load<u32>(h) + 1);
  }
}

/** Adds one to a u16 of the record whose bits 16 and up are the u16 `high` of its cold entry (a u32 in all). */
@inline function bumpWide16(r: usize, field: i32, high: i32): void {
  const at = u16At(r, field);
  const now = <u16>(load<u16>(at) + 1);
  store<u16>(at, now);
  if (now == 0) {
    const h = coldFor(r) + (<usize>high << 1);
    store<u16>(h, load<u16>(h) + 1);
  }
}

function assign(hash: u32, c: i32): void {
  flowAssign(hash, c, storeAt);
  if (flowsFull()) growFlows();
}

// Record field access: the view's index times its width, as in the JavaScript views.
@inline function f64At(r: usize, field: i32): usize { return r + (<usize>field << 3); }
@inline function u32At(r: usize, field: i32): usize { return r + (<usize>field << 2); }
@inline function u16At(r: usize, field: i32): usize { return r + (<usize>field << 1); }
@inline function u8At(r: usize, field: i32): usize { return r + <usize>field; }

/** RSTs direction d of record r sent (counted in its cold entry): asked of every packet, so W_COLD is read directly. */
@inline function rstsSent(r: usize, d: i32): u32 {
  const k = load<u32>(u32At(r, W_COLD));
  return k == 0 ? 0 : <u32>load<u16>(poolAt(coldPool) + <usize>(k - 1) * COLD_BYTES + (<usize>(CH_RSTS + d) << 1));
}

@inline function relTime(tsSec: f64, tsNsec: i32): f64 {
  return (tsSec - baseSec) * 1e9 + (<f64>tsNsec - baseNsec);
}

// -- whole pcap records, walked here rather than one JavaScript call per frame --
/** Libpcap's own maximum snaplen: a bigger record is corruption, left to the JavaScript reader to report. */
const PCAP_MAX_CAPLEN: u32 = 262144;
/** Frames per decode status, and the latest timestamp, of the records walked since the last takeCounts(). */
let countsAt: usize = 0;
let pcapFrame: u32 = 0;
let latestSec: f64 = -Infinity;
let latestNsec: f64 = 0;

export function countsAddress(): usize { return countsAt; }
export function pcapFrameNumber(): u32 { return pcapFrame; }
export function latestTsSec(): f64 { return latestSec; }
export function latestTsNsec(): f64 { return latestNsec; }
export function clearCounts(): void {
  memory.fill(countsAt, 0, <usize>DECODE_STATUS_COUNT << 2);
  latestSec = -Infinity;
  latestNsec = 0;
}

@inline function u32Of(p: usize, le: bool): u32 {
  const v = load<u32>(p);
  return le ? v : bswap<u32>(v);
}

/**
 * Decodes and tracks the whole pcap records in [start, end), numbering them
 * after `frame`; returns where it stopped: at `end`, before a record cut by
 * the end of the chunk, or before one too big to be real (the JavaScript
 * reader takes over from there, to wait for more bytes or to report it), or
 * after the record that filled the reset-note ring or left no room for the
 * next `--events` line.
 */
export function trackPcapRecords(start: usize, end: usize, le: bool, nano: bool, linkType: i32, frame: u32, last: u32): usize {
  const fracPerSec: u32 = nano ? 1000000000 : 1000000;
  const fracToNs: u32 = nano ? 1 : 1000;
  let pos = start;
  while (frame != last && end - pos >= 16) {
    const capLen = u32Of(pos + 8, le);
    if (capLen > PCAP_MAX_CAPLEN) break;
    const next = pos + 16 + <usize>capLen;
    if (next > end) break;
    let sec = <f64>u32Of(pos, le);
    let frac = u32Of(pos + 4, le);
    if (frac >= fracPerSec) {
      // Some writers carry whole seconds in the fraction; fold them back.
      sec += <f64>(frac / fracPerSec);
      frac %= fracPerSec;
    }
    walkFrame(pos + 16, <i32>capLen, <i32>u32Of(pos + 12, le), linkType, sec, <i32>(frac * fracToNs), ++frame);
    pos = next;
    // The JavaScript side empties the ring, and writes the lines out, between runs.
    if (load<u32>(notesAt) == NOTE_MAX || (linesOn && eventLinesFull())) break;
  }
  pcapFrame = frame;
  return pos;
}

/**
 * Like trackPcapRecords for the pcapng packet blocks wasm/pcapng-walk.ts
 * reads, adding epb_dropcount onto `drops`; also stops once frame `last` is
 * tracked (where the pipeline asks its evictor, as it does between frames).
 */
export function trackPcapngBlocks(start: usize, end: usize, le: bool, frame: u32, drops: f64, last: u32): usize {
  pcapngDropsFrom(drops);
  let pos = start;
  while (frame != last && nextPacketBlock(pos, end, le)) {
    walkFrame(blockPtr, blockCapLen, blockWireLen, blockLinkType, blockSec, blockNsec, ++frame);
    pos = blockNext;
    if (load<u32>(notesAt) == NOTE_MAX || (linesOn && eventLinesFull())) break;
  }
  pcapFrame = frame;
  return pos;
}

/** One frame of a walk: counted by decode status and the latest timestamp, tracked (and its --events line written) when it is TCP. */
@inline function walkFrame(ptr: usize, capLen: i32, wireLen: i32, linkType: i32, sec: f64, nsec: i32, frame: u32): void {
  if (sec > latestSec || (sec == latestSec && <f64>nsec > latestNsec)) {
    latestSec = sec;
    latestNsec = <f64>nsec;
  }
  const status = decodeFrame(ptr, capLen, wireLen, linkType, packetAt);
  const counter = countsAt + (<usize>status << 2);
  store<u32>(counter, load<u32>(counter) + 1);
  if (status == DECODED_TCP && ABLATE != 1) {
    const kind = track(sec, nsec, frame);
    if (linesOn) writeEventLine(packetAt, frame, sec, nsec, lastConnectionId(), lastDirection, kind);
  }
}

/** Decode and track one frame: its kind (K_*), or minus its decode status when it is not usable TCP. */
export function trackFrame(ptr: usize, capLen: i32, wireLen: i32, linkType: i32, tsSec: f64, tsNsec: i32, frame: u32): i32 {
  const status = decodeFrame(ptr, capLen, wireLen, linkType, packetAt);
  if (status != DECODED_TCP) return -status;
  return track(tsSec, tsNsec, frame);
}

function track(tsSec: f64, tsNsec: i32, frame: u32): i32 {
  const p = packetAt;
  if (!haveBase) {
    baseSec = tsSec;
    baseNsec = <f64>tsNsec;
    haveBase = true;
  }
  const t = relTime(tsSec, tsNsec);
  const flags = <i32>load<u8>(p + P_FLAGS);
  const isSyn = (flags & TCP_SYN) != 0;
  const isAck = (flags & TCP_ACK) != 0;
  const hash = hashPacket(p);
  // The top bit of a second mix: the table's slot and tag bits stay spread within a half.
  if (SHARD >= 0 && <i32>((hash * 0x9e3779b1) >>> 31) != SHARD) return K_ACK;
  let c = flowFind(hash, p, storeAt);
  let d = lastDir;
  if (c < 0 || (isSyn && isNewIncarnation(c, d))) {
    c = open(hash, t, frame);
    d = lastDirection;
  }
  if (ABLATE == 2) {
    lastConn = c;
    lastDirection = d;
    lastTime = t;
    return K_ACK;
  }
  const r = storeAt + <usize>c * RECORD_BYTES;
  const o = d ^ 1;
  const seq = load<u32>(p + P_SEQ);
  const ack = load<u32>(p + P_ACK);
  const seglen = load<i32>(p + P_PAYLOAD);
  const window = <u32>load<u16>(p + P_WINDOW);
  const isFin = (flags & TCP_FIN) != 0;
  const isRst = (flags & TCP_RST) != 0;
  const fFlags = <i32>load<u8>(u8At(r, B_DIR_FLAGS + d));
  const rFlags = <i32>load<u8>(u8At(r, B_DIR_FLAGS + o));
  const nextSeqSet = (fFlags & D_NEXTSEQ_SET) != 0;
  const nextSeq = load<u32>(u32At(r, W_NEXT_SEQ + d));

  // --- a second copy of the packet before it: counted, and nothing else (not a retransmission, not a second RST) ---
  if (isCopyOfPrevious(r, d, t, flags, seq, ack, seglen, window)) {
    bumpCold16(r, CH_DUPLICATES);
    duplicates++;
    lastConn = c;
    lastDirection = d;
    lastTime = t;
    return K_DUPLICATE;
  }

  // --- Wireshark tcp_analyze_sequence_number(), the parts that decide our kinds ---
  let analysis = 0; // D_KEEPALIVE / D_ZWP for this segment
  // The peer's window is known only once the peer has sent something: in a capture that shows one
  // direction, a 1-byte segment is data, not a probe of a window nobody announced (tshark agrees).
  if (seglen == 1 && nextSeqSet && seq == nextSeq && load<u16>(u16At(r, H_WIN + o)) == 0 && load<u32>(u32At(r, W_PKTS + o)) > 0) {
    analysis = D_ZWP;
  } else {
    if (nextSeqSet && <i32>(nextSeq - seq) < 0 && !isRst) bumpCold16(r, CH_GAPS);
    if (seglen <= 1 && nextSeqSet && seq == nextSeq - 1 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) == 0) {
      analysis = D_KEEPALIVE;
    }
  }
  const keepaliveAck =
    analysis == 0 && seglen == 0 && window != 0 && window == <u32>load<u16>(u16At(r, H_WIN + d)) && nextSeqSet && seq == nextSeq &&
    ack == load<u32>(u32At(r, W_LAST_ACK + d)) && (rFlags & D_KEEPALIVE) != 0 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) == 0;
  let retrans = false;
  if (analysis == 0 && !keepaliveAck && (seglen > 0 || isSyn || isFin) && nextSeqSet && <i32>(seq - nextSeq) < 0) {
    // Data right after a zero-window probe starts one byte early and is new data, not a retransmission.
    retrans = !(seglen > 1 && seq == nextSeq - 1);
  }

  let kind: i32;
  if (isRst) kind = K_RST;
  else if (isSyn) kind = isAck ? K_SYNACK : K_SYN;
  else if (analysis == D_KEEPALIVE) kind = K_KEEPALIVE;
  else if (keepaliveAck) kind = K_KEEPALIVE_ACK;
  else if (analysis == D_ZWP) kind = K_ZERO_WINDOW_PROBE;
  else if (retrans) kind = K_RETRANSMISSION;
  else if (isFin) kind = K_FIN;
  else if (seglen > 0) kind = K_DATA;
  else kind = K_ACK;

  // --- sequence bookkeeping (Wireshark's finished_fwd) ---
  let df = (fFlags & ~(D_KEEPALIVE | D_ZWP)) | analysis;
  if (seglen > 0 || isSyn || isFin) {
    const nxt = seq + <u32>seglen + (isSyn || isFin ? 1 : 0);
    if ((!nextSeqSet || <i32>(nextSeq - nxt) < 0) && analysis != D_ZWP) {
      store<u32>(u32At(r, W_NEXT_SEQ + d), nxt);
      df |= D_NEXTSEQ_SET;
    }
  }
  store<u16>(u16At(r, H_WIN + d), <u16>window);
  store<u32>(u32At(r, W_LAST_ACK + d), ack);

  // --- counters ---
  const pkts = load<u32>(u32At(r, W_PKTS + d)) + 1;
  store<u32>(u32At(r, W_PKTS + d), pkts);
  addWide32(r, W_BYTES + d, CW_BYTES_HIGH + d, <u32>load<i32>(p + P_IPLEN));
  addWide32(r, W_PAYLOAD + d, CW_PAYLOAD_HIGH + d, <u32>seglen);
  const ttl = load<u8>(p + P_TTL);
  // The baseline a RST is judged against: a RST that came first (injected before the real SYN-ACK) must not be it.
  if (pkts == 1 || (!isRst && rstsSent(r, d) == pkts - 1)) store<u8>(u8At(r, B_TTL_FIRST + d), ttl);
  if (ttl < load<u8>(u8At(r, B_TTL_MIN + d))) store<u8>(u8At(r, B_TTL_MIN + d), ttl);
  if (ttl > load<u8>(u8At(r, B_TTL_MAX + d))) store<u8>(u8At(r, B_TTL_MAX + d), ttl);
  // A proxy that answers handshakes sends no payload: segments with payload are the real host's.
  if (seglen > 0 && !isSyn && !isRst) noteDataTtl(r, d, ttl);
  switch (kind) {
    case K_KEEPALIVE:
      bumpWide16(r, H_KEEPALIVES + d, CH_KEEPALIVES_HIGH + d);
      break;
    case K_KEEPALIVE_ACK:
      bumpWide16(r, H_KEEPALIVE_ACKS + d, CH_KEEPALIVE_ACKS_HIGH + d);
      break;
    case K_RETRANSMISSION:
      bumpWide16(r, H_RETRANS + d, CH_RETRANS_HIGH + d);
      break;
    case K_ZERO_WINDOW_PROBE: {
      const at = coldFor(r) + (<usize>(CW_ZWPS + d) << 2);
      store<u32>(at, load<u32>(at) + 1);
      break;
    }
    case K_RST:
      bumpCold16(r, CH_RSTS + d);
      break;
  }

  // --- connection state ---
  let st = <i32>load<u16>(u16At(r, H_STATE));
  if (isSyn) {
    // The server's first SYN-ACK for the client's SYN after a RST that looked final (an injected RST, or the
    // client's RST to a challenge ACK): the server's stack still took the SYN, so the connection goes on. A
    // SYN-ACK sent again after the client reset the handshake revives nothing.
    if (
      isAck && d == 1 && (fFlags & D_SYN_SEEN) == 0 && (st & (ST_RESET | ST_ESTABLISHED | ST_SAW_SYN)) == (ST_RESET | ST_SAW_SYN) &&
      ack == load<u32>(u32At(r, W_ISN)) + 1
    ) {
      st &= ~ST_RESET;
      store<u16>(u16At(r, H_STATE), <u16>st);
      store<u8>(u8At(r, B_END_INFO), 0);
      store<u32>(u32At(r, W_END_FRAME), 0);
      setSetup(r, SU_REVIVED, 0);
    }
    df |= onSyn(r, d, isAck, t, fFlags);
    st = <i32>load<u16>(u16At(r, H_STATE));
  } else if (isAck && (st & (ST_ESTABLISHED | ST_SAW_SYNACK)) == ST_SAW_SYNACK && d == 0 && ack == load<u32>(u32At(r, W_ISN + 1)) + 1) {
    st |= ST_ESTABLISHED;
    if ((st & ST_SAW_SYN) != 0) st |= onHandshakeDone(r, t);
  } else if (
    !isRst && isAck && d == 1 && (st & (ST_SAW_SYN | ST_SAW_SYNACK | ST_ESTABLISHED | ST_MIDSTREAM)) == ST_SAW_SYN &&
    ack != load<u32>(u32At(r, W_ISN)) + 1
  ) {
    // What a peer still holding the 4-tuple (open or TIME_WAIT) answers a SYN with.
    setSetup(r, SU_SYN_ODD_ACK, 0);
  }
  if (isFin && (fFlags & D_FIN) == 0) {
    df |= D_FIN;
    if ((st & ST_RESET) == 0) {
      if ((rFlags & D_FIN) == 0) setEnd(r, d, frame, END_HALF_CLOSED);
      else store<u8>(u8At(r, B_END_INFO), <u8>((<i32>load<u8>(u8At(r, B_END_INFO)) & END_BY_B) | END_FIN));
    }
  }
  if (isRst) {
    noteReset(r, c, d, seglen, frame, t);
  } else if ((st & ST_RESET) != 0 && seglen > 0) {
    bumpCold8(r, CB_DATA_AFTER_RST + d);
  }
  // No RTT is measured across a RST: a later ACK answers no exchange the RST left standing.
  if (isRst && (st & ST_ESTABLISHED) == 0) {
    const beforeSynAck = d == 1 && (st & (ST_SAW_SYNACK | ST_SAW_SYN)) == ST_SAW_SYN;
    setSetup(r, beforeSynAck ? SU_RST_BEFORE_SYNACK : 0, SU_SYN_TIMED | SU_SYNACK_TIMED);
  }
  if (isRst && (st & ST_RESET) == 0) {
    st |= ST_RESET;
    // A RST after both FINs is a late answer, not what ended the connection.
    if ((<i32>load<u8>(u8At(r, B_END_INFO)) & END_KIND_MASK) != END_FIN) {
      // A RST from the server before any SYN-ACK is a refused connection, not a reset one.
      const refused = d == 1 && (st & (ST_SAW_SYNACK | ST_ESTABLISHED)) == 0 && (st & ST_SAW_SYN) != 0;
      setEnd(r, d, frame, refused ? END_REJECTED : END_RESET);
    }
  }
  // IP ID is noted after the RST's context is taken so the RST is compared with the packets before it.
  const ipId = load<i32>(p + P_IPID);
  if (ipId > 0) df |= D_IPID_NONZERO;
  if (ipId >= 0) store<u16>(u16At(r, H_LAST_IPID + d), <u16>ipId);
  store<u8>(u8At(r, B_DIR_FLAGS + d), <u8>df);

  // --- timing ---
  const both = <u64>load<u32>(u32At(r, W_PKTS)) + <u64>load<u32>(u32At(r, W_PKTS + 1));
  const idle = both > 1 ? t - load<f64>(f64At(r, F_T_LAST)) : 0.0;
  if (idle > load<f64>(f64At(r, F_MAX_IDLE))) {
    store<f64>(f64At(r, F_MAX_IDLE), idle);
    store<u32>(u32At(r, W_MAX_IDLE_FRAME), frame);
  }
  store<f64>(f64At(r, F_T_LAST), t);
  store<u32>(u32At(r, W_LAST_FRAME_DIR + d), frame);
  store<u8>(u8At(r, B_LAST_KIND), <u8>kind);

  // Notable packets, and the first answer to one of them, go to the event log. The handshake
  // is not logged: it lives in the connection record, and logging it would cost ~90 bytes per connection.
  const answers = (st & ST_LAST_LOGGED) != 0 && (st & ST_LAST_DIR_B) != (d == 1 ? ST_LAST_DIR_B : 0);
  const logged = kind > K_ACK || idle >= IDLE_MARK_NS || answers;
  if (logged && ABLATE != 3) {
    if (eventCount == eventCapacity) {
      const by = <usize>eventCapacity * E_STRIDE;
      moveUp(slotsAt, by);
      flowsMoved(slotsAt + by);
      eventCapacity *= 2;
    }
    const e = eventsAt + <usize>(eventCount++) * E_STRIDE;
    store<f64>(e + (<usize>E_TIME << 3), t);
    store<f64>(e + (<usize>E_IDLE << 3), idle);
    store<u32>(e + (<usize>E_CONN << 2), c);
    store<u32>(e + (<usize>E_FRAME << 2), frame);
    store<u32>(e + (<usize>E_SEQ << 2), seq);
    store<u32>(e + (<usize>E_ACK << 2), ack);
    store<i32>(e + (<usize>E_IPID << 2), ipId);
    store<u16>(e + (<usize>E_LEN << 1), <u16>(seglen > 0xffff ? 0xffff : seglen));
    store<u16>(e + (<usize>E_WIN << 1), <u16>window);
    store<u8>(e + E_KIND, <u8>kind);
    store<u8>(e + E_DIR, <u8>d);
    store<u8>(e + E_TTL, ttl);
    store<u8>(e + E_FLAGS, <u8>flags);
    store<u8>(e + E_OPTS, load<u8>(p + P_TIMESTAMPS));
    const unanswered = ((1 << kind) & AWAITS_ANSWER_KINDS) != 0;
    st = (st & ~(ST_UNANSWERED | ST_EVENT_DIR_B)) | (unanswered ? ST_UNANSWERED : 0) | (d == 1 ? ST_EVENT_DIR_B : 0) | ST_LAST_LOGGED;
  } else {
    // Any packet from the other side answers the last logged one.
    if ((st & ST_EVENT_DIR_B) != (d == 1 ? ST_EVENT_DIR_B : 0)) st &= ~ST_UNANSWERED;
    st &= ~ST_LAST_LOGGED;
  }
  store<u16>(u16At(r, H_STATE), <u16>(d == 1 ? st | ST_LAST_DIR_B : st & ~ST_LAST_DIR_B));
  lastConn = c;
  lastDirection = d;
  lastTime = t;
  return kind;
}

/**
 * Whether the decoded packet is a copy of the connection's previous packet
 * (see DUPLICATE_WINDOW_NS): that packet came from the same side moments
 * before, and every field a copy keeps is the same. A logged previous packet
 * is compared field by field with its event; one that was not logged was a
 * plain in-order segment, pure ACK or handshake packet (its kind is
 * B_LAST_KIND), which the direction's sequence state still describes: a data
 * segment ended at the next expected sequence number, an ACK sat on it, a
 * SYN carried the ISN. The record holds all of it, so this costs no bytes.
 */
function isCopyOfPrevious(r: usize, d: i32, t: f64, flags: i32, seq: u32, ack: u32, seglen: i32, window: u32): bool {
  const p = packetAt;
  const st = <i32>load<u16>(u16At(r, H_STATE));
  if (load<u32>(u32At(r, W_PKTS + d)) == 0 || ((st & ST_LAST_DIR_B) != 0) != (d == 1)) return false;
  if (t - load<f64>(f64At(r, F_T_LAST)) > DUPLICATE_WINDOW_NS) return false;
  if (ack != load<u32>(u32At(r, W_LAST_ACK + d)) || window != <u32>load<u16>(u16At(r, H_WIN + d))) return false;
  const ipId = load<i32>(p + P_IPID);
  if (ipId >= 0 && ipId != <i32>load<u16>(u16At(r, H_LAST_IPID + d))) return false;
  if ((st & ST_LAST_LOGGED) != 0) {
    const i = eventOfRecentFrame(load<u32>(u32At(r, W_LAST_FRAME_DIR + d)));
    if (i < 0) return false;
    const e = eventsAt + <usize>i * E_STRIDE;
    return (
      load<u32>(e + (<usize>E_SEQ << 2)) == seq && <i32>load<u16>(e + (<usize>E_LEN << 1)) == (seglen > 0xffff ? 0xffff : seglen) &&
      <i32>load<u8>(e + E_FLAGS) == flags && load<i32>(e + (<usize>E_IPID << 2)) == ipId && load<u8>(e + E_OPTS) == load<u8>(p + P_TIMESTAMPS)
    );
  }
  const prevKind = <i32>load<u8>(u8At(r, B_LAST_KIND));
  const fFlags = <i32>load<u8>(u8At(r, B_DIR_FLAGS + d));
  const nextSeq = load<u32>(u32At(r, W_NEXT_SEQ + d));
  const plain = (flags & (TCP_SYN | TCP_FIN | TCP_RST)) == 0;
  if (prevKind == K_DATA) return plain && seglen > 0 && (fFlags & D_NEXTSEQ_SET) != 0 && seq + <u32>seglen == nextSeq;
  if (prevKind == K_ACK) return plain && seglen == 0 && ((fFlags & D_NEXTSEQ_SET) == 0 || seq == nextSeq);
  if (prevKind == K_SYN || prevKind == K_SYNACK) {
    const synAck = TCP_SYN | TCP_ACK;
    return (flags & (synAck | TCP_FIN | TCP_RST)) == (prevKind == K_SYN ? TCP_SYN : synAck) && seq == load<u32>(u32At(r, W_ISN + d));
  }
  return false;
}

/**
 * A SYN on a known tuple starts a new connection (port reuse) when the old
 * one is over or the SYN carries a different initial sequence number.
 */
function isNewIncarnation(c: i32, d: i32): bool {
  const r = storeAt + <usize>c * RECORD_BYTES;
  const st = <i32>load<u16>(u16At(r, H_STATE));
  // A SYN-ACK that acknowledges this connection's SYN answers it, and stays in it, when it is this side's
  // first (whatever came between: a RST, injected or sent to a challenge ACK) or comes before the
  // handshake completed, even with another ISN (a SYN-cookie server answers each SYN retry with a fresh
  // cookie, which changes when its minute counter ticks between them). tshark keeps one stream too.
  const answersSyn =
    (<i32>load<u8>(packetAt + P_FLAGS) & TCP_ACK) != 0 &&
    (<i32>load<u8>(u8At(r, B_DIR_FLAGS + (d ^ 1))) & D_SYN_SEEN) != 0 &&
    load<u32>(packetAt + P_ACK) == load<u32>(u32At(r, W_ISN + (d ^ 1))) + 1;
  if (answersSyn && ((<i32>load<u8>(u8At(r, B_DIR_FLAGS + d)) & D_SYN_SEEN) == 0 || (st & ST_ESTABLISHED) == 0)) return false;
  // A retransmitted SYN repeats its ISN; a different ISN is a new connection on the same ports.
  if ((<i32>load<u8>(u8At(r, B_DIR_FLAGS + d)) & D_SYN_SEEN) != 0) return load<u32>(u32At(r, W_ISN + d)) != load<u32>(packetAt + P_SEQ);
  const ended = (st & ST_RESET) != 0 || (<i32>load<u8>(u8At(r, B_DIR_FLAGS)) & <i32>load<u8>(u8At(r, B_DIR_FLAGS + 1)) & D_FIN) != 0;
  return (st & ST_MIDSTREAM) != 0 || ended;
}

/** A new connection for the decoded packet; sets lastDirection to the packet's direction in it. */
function open(hash: u32, t: f64, frame: u32): i32 {
  const p = packetAt;
  const c = addConnection();
  const r = storeAt + <usize>c * RECORD_BYTES;
  const flags = <i32>load<u8>(p + P_FLAGS);
  const isSyn = (flags & TCP_SYN) != 0;
  const isAck = (flags & TCP_ACK) != 0;
  const sport = load<u16>(p + P_SPORT);
  const dport = load<u16>(p + P_DPORT);
  // Side A is the client. A SYN names it; a SYN-ACK names its receiver;
  // mid-stream, the lower port is taken to be the server's.
  let srcIsClient: bool;
  let st = 0;
  if (isSyn) srcIsClient = !isAck;
  else {
    srcIsClient = sport >= dport;
    st |= ST_MIDSTREAM | ST_ESTABLISHED;
  }
  const a = srcIsClient ? p + P_SRC : p + P_DST;
  const b = srcIsClient ? p + P_DST : p + P_SRC;
  if (load<u8>(p + P_IPVER) == 6) {
    st |= ST_IPV6;
    const e = entryFor(v6Pool, r) + (<usize>VW_ADDR << 2);
    memory.copy(e, a, 16);
    memory.copy(e + 16, b, 16);
  } else {
    store<u32>(u32At(r, W_ADDR), load<u32>(a));
    store<u32>(u32At(r, W_ADDR + 1), load<u32>(b));
  }
  store<u16>(u16At(r, H_PORT), srcIsClient ? sport : dport);
  store<u16>(u16At(r, H_PORT + 1), srcIsClient ? dport : sport);
  store<u16>(u16At(r, H_STATE), <u16>st);
  store<u32>(u32At(r, W_FIRST_FRAME), frame);
  store<u32>(u32At(r, W_ID), nextId++);
  store<f64>(f64At(r, F_T_FIRST), t);
  store<f64>(f64At(r, F_T_LAST), t);
  assign(hash, c);
  lastDirection = srcIsClient ? 0 : 1;
  return c;
}

/** Sets the set-up bits `on` and clears `off`. */
function setSetup(r: usize, on: i32, off: i32): void {
  store<u8>(u8At(r, B_SETUP), <u8>((<i32>load<u8>(u8At(r, B_SETUP)) & ~off) | on));
}

/** Record a SYN or SYN-ACK (`fFlags`: its direction's flags before it); returns the direction flags it adds. */
function onSyn(r: usize, d: i32, isAck: bool, t: f64, fFlags: i32): i32 {
  const p = packetAt;
  // A second SYN of a direction repeats its ISN (another ISN opened a new connection): a retransmission.
  if ((fFlags & D_SYN_SEEN) != 0) bumpCold8(r, CB_SYN_RETRIES + d);
  store<u32>(u32At(r, W_ISN + d), load<u32>(p + P_SEQ));
  let df = D_SYN_SEEN;
  if (load<u8>(p + P_SACKPERM) != 0) df |= D_SACK_PERM;
  if (load<u8>(p + P_TIMESTAMPS) != 0) df |= D_TIMESTAMPS;
  const mss = load<i32>(p + P_MSS);
  if (mss >= 0) store<u16>(u16At(r, H_MSS + d), <u16>mss);
  const ws = load<i32>(p + P_WSCALE);
  if (ws >= 0) {
    const shift = <u32>d << 2;
    const both = <u32>load<u8>(u8At(r, B_WSCALE));
    store<u8>(u8At(r, B_WSCALE), <u8>((both & ~(<u32>0xf << shift)) | (<u32>(ws > 14 ? 14 : ws) << shift)));
  }
  const sti = u16At(r, H_STATE);
  const st = <i32>load<u16>(sti);
  if (isAck) {
    store<u16>(sti, <u16>(st | ST_SAW_SYNACK));
    if ((st & ST_ESTABLISHED) != 0) {
      // Mid-stream pickups are "established" from their first packet: only a seen handshake counts.
      if ((st & ST_MIDSTREAM) == 0) setSetup(r, SU_SYNACK_AFTER_ACK, 0);
    } else if ((<i32>load<u8>(u8At(r, B_SETUP)) & SU_SYN_TIMED) != 0) {
      // The first SYN-ACK after the last SYN answers it: the first half of the handshake RTT.
      store<f64>(f64At(r, F_SYN_OR_RTT), t - load<f64>(f64At(r, F_SYN_OR_RTT)));
      setSetup(r, SU_SYNACK_TIMED, SU_SYN_TIMED);
    }
  } else if (d == 0) {
    store<u16>(sti, <u16>(st | ST_SAW_SYN));
    // The handshake RTT is timed from the last (re)transmitted SYN.
    if ((st & ST_RTT_KNOWN) == 0) {
      store<f64>(f64At(r, F_SYN_OR_RTT), t);
      setSetup(r, SU_SYN_TIMED, SU_SYNACK_TIMED);
    }
  }
  return df;
}

function noteDataTtl(r: usize, d: i32, ttl: u8): void {
  if (load<u8>(u8At(r, B_TTL_DATA + d)) == 0) {
    store<u8>(u8At(r, B_TTL_DATA + d), ttl);
    store<u8>(u8At(r, B_TTL_DATA_MIN + d), ttl);
    store<u8>(u8At(r, B_TTL_DATA_MAX + d), ttl);
  } else {
    if (ttl < load<u8>(u8At(r, B_TTL_DATA_MIN + d))) store<u8>(u8At(r, B_TTL_DATA_MIN + d), ttl);
    if (ttl > load<u8>(u8At(r, B_TTL_DATA_MAX + d))) store<u8>(u8At(r, B_TTL_DATA_MAX + d), ttl);
  }
}

/**
 * The client's ACK completed the handshake: the set-up time (first SYN →
 * now), and the handshake RTT when this ACK answers the SYN-ACK just before
 * it and that SYN-ACK exchange answered the last SYN with no RST between.
 * Returns ST_RTT_KNOWN or 0.
 */
function onHandshakeDone(r: usize, t: f64): i32 {
  const us = (t - load<f64>(f64At(r, F_T_FIRST))) / 1000.0;
  store<u32>(u32At(r, W_SETUP_US), us >= 4294967295.0 ? 0xffffffff : <u32>(us + 0.5));
  const su = <i32>load<u8>(u8At(r, B_SETUP));
  setSetup(r, SU_SETUP_KNOWN, SU_SYN_TIMED | SU_SYNACK_TIMED);
  if ((su & SU_SYNACK_TIMED) == 0 || <i32>load<u8>(u8At(r, B_LAST_KIND)) != K_SYNACK) return 0;
  // SYN → SYN-ACK, then the last SYN-ACK → this ACK: a retransmitted SYN-ACK's wait is no part of the RTT.
  store<f64>(f64At(r, F_SYN_OR_RTT), load<f64>(f64At(r, F_SYN_OR_RTT)) + (t - load<f64>(f64At(r, F_T_LAST))));
  return ST_RTT_KNOWN;
}

/**
 * Writes down what reset attribution needs about a RST (see ResetContext):
 * its header, and the connection's state before it. Called with the record
 * not yet updated by the RST's timing and IP ID, so "the last packet" is
 * still the one before it.
 */
function noteReset(r: usize, c: i32, d: i32, seglen: i32, frame: u32, t: f64): void {
  const p = packetAt;
  const taken = load<u32>(notesAt);
  store<u32>(notesAt, taken + 1);
  const n = notesAt + 8 + <usize>taken * NOTE_BYTES;
  const st = <i32>load<u16>(u16At(r, H_STATE));
  const df = <i32>load<u8>(u8At(r, B_DIR_FLAGS + d));
  let bits = load<u8>(p + P_TIMESTAMPS) != 0 ? N_HAS_TIMESTAMPS : 0;
  store<f64>(n + (<usize>N_TIME << 3), t);
  store<u32>(n + (<usize>N_CONN << 2), c);
  store<u32>(n + (<usize>N_FRAME << 2), frame);
  store<u32>(n + (<usize>N_SEQ << 2), load<u32>(p + P_SEQ));
  store<u32>(n + (<usize>N_ACK << 2), load<u32>(p + P_ACK));
  store<i32>(n + (<usize>N_IPID << 2), load<i32>(p + P_IPID));
  store<i32>(n + (<usize>N_SEGLEN << 2), seglen);
  store<u16>(n + (<usize>N_WINDOW << 1), load<u16>(p + P_WINDOW));
  store<u8>(n + N_DIR, <u8>d);
  store<u8>(n + N_TTL, load<u8>(p + P_TTL));
  store<u8>(n + N_FLAGS, load<u8>(p + P_FLAGS));
  if ((df & D_NEXTSEQ_SET) != 0) {
    bits |= N_EXPECTED_SEQ_SET;
    store<u32>(n + (<usize>N_EXPECTED_SEQ << 2), load<u32>(u32At(r, W_NEXT_SEQ + d)));
  }
  if ((df & D_IPID_NONZERO) != 0) {
    bits |= N_LAST_IPID_SET;
    store<u16>(n + (<usize>N_LAST_IPID << 1), load<u16>(u16At(r, H_LAST_IPID + d)));
  }
  // The RST itself is already counted.
  if (<u64>load<u32>(u32At(r, W_PKTS)) + <u64>load<u32>(u32At(r, W_PKTS + 1)) > 1) {
    const lastDir = (st & ST_LAST_DIR_B) != 0 ? 1 : 0;
    const prevFrame = load<u32>(u32At(r, W_LAST_FRAME_DIR + lastDir));
    bits |= N_PREV_SEEN | (lastDir == 1 ? N_PREV_DIR_B : 0);
    store<u32>(n + (<usize>N_PREV_FRAME << 2), prevFrame);
    store<f64>(n + (<usize>N_PREV_TIME << 3), load<f64>(f64At(r, F_T_LAST)));
    store<u8>(n + N_PREV_KIND, load<u8>(u8At(r, B_LAST_KIND)));
    if ((st & ST_LAST_LOGGED) != 0) {
      const i = eventOfRecentFrame(prevFrame);
      if (i >= 0) {
        bits |= N_PREV_IDLE_KNOWN;
        store<f64>(n + (<usize>N_PREV_IDLE << 3), load<f64>(eventsAt + <usize>i * E_STRIDE + (<usize>E_IDLE << 3)));
      }
    }
  }
  store<u8>(n + N_BITS, <u8>bits);
}

@inline function eventFrame(i: i32): u32 {
  return load<u32>(eventsAt + <usize>i * E_STRIDE + (<usize>E_FRAME << 2));
}

/**
 * The event of `frame`, or -1 (frames are logged in increasing order).
 * Galloping back from the end reads the log's warm tail, not a dozen cold
 * probes across the whole log: the frame looked for is a recent one.
 */
function eventOfRecentFrame(frame: u32): i32 {
  let hi = eventCount - 1;
  let step = 1;
  while (hi >= 0 && eventFrame(hi) > frame) {
    let lo = hi - step;
    if (lo < 0 || eventFrame(lo) <= frame) {
      // Binary search in (lo, hi].
      if (lo < 0) lo = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const f = eventFrame(mid);
        if (f == frame) return mid;
        if (f < frame) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    hi = lo;
    step *= 2;
  }
  return hi >= 0 && eventFrame(hi) == frame ? hi : -1;
}

function setEnd(r: usize, d: i32, frame: u32, kind: i32): void {
  store<u32>(u32At(r, W_END_FRAME), frame);
  store<u8>(u8At(r, B_END_INFO), <u8>(kind | (d == 1 ? END_BY_B : 0)));
}

/**
 * Drops the connections whose byte at `keep` (one per connection) is 0,
 * with their events, and closes the gaps, keeping order: connection c
 * becomes the i32 at `remap` + 4c (-1: dropped). Ids (W_ID) stay; the flow
 * table is rebuilt from the records kept. What the regions held is freed
 * for the connections to come, not returned: memory never shrinks, it stops
 * growing. Returns the connections kept.
 */
export function compact(keep: usize, remap: usize): i32 {
  let n = 0;
  for (let c = 0; c < count; c++) {
    if (load<u8>(keep + <usize>c) == 0) {
      const r = storeAt + <usize>c * RECORD_BYTES;
      entryRelease(coldPool, r);
      if (isIpv6(r)) entryRelease(v6Pool, r);
      store<i32>(remap + (<usize>c << 2), -1);
      continue;
    }
    if (n != c) memory.copy(storeAt + <usize>n * RECORD_BYTES, storeAt + <usize>c * RECORD_BYTES, RECORD_BYTES);
    store<i32>(remap + (<usize>c << 2), n++);
  }
  // addConnection hands out records as it finds them: they must read as zeroes.
  memory.fill(storeAt + <usize>n * RECORD_BYTES, 0, <usize>(count - n) * RECORD_BYTES);
  count = n;
  let m = 0;
  for (let i = 0; i < eventCount; i++) {
    const e = eventsAt + <usize>i * E_STRIDE;
    const to = load<i32>(remap + (<usize>load<u32>(e + (<usize>E_CONN << 2)) << 2));
    if (to < 0) continue;
    const at = eventsAt + <usize>m * E_STRIDE;
    if (at != e) memory.copy(at, e, E_STRIDE);
    store<u32>(at + (<usize>E_CONN << 2), <u32>to);
    m++;
  }
  memory.fill(eventsAt + <usize>m * E_STRIDE, 0, <usize>(eventCount - m) * E_STRIDE);
  eventCount = m;
  flowsRebuild(storeAt, count);
  if (lastConn >= 0) lastConn = load<i32>(remap + (<usize>lastConn << 2));
  return n;
}

/** Bytes compact() needs at its `remap` (and, before it, one keep byte per connection). */
export function compactBytes(n: i32): usize {
  return align(<usize>n, 64) + <usize>n * 4;
}

// -- after the pass --
export { eventGroupsBytes, groupEvents, serverIndexes, serverIndexesBytes } from './groups';
export { flagsAt, tailsBytes, unansweredTails } from './unanswered';
export { timeSpan } from './time-span';
export { idleArraysBytes, idlePass, survivedCountAt, survivedMaxAt, diedCountAt, diedMinAt, firstAt } from './idle-pass';

/**
 * `bytes` of working space above everything the tracker holds, for a
 * computation over its results (idlePass). Valid until the tracker next
 * tracks a packet: its regions grow into it.
 */
export function scratchAbove(bytes: usize): usize {
  const at = align(topEnd(), 64);
  ensureMemory(at + bytes);
  if (at + bytes > dirtyEnd) dirtyEnd = at + bytes;
  return at;
}

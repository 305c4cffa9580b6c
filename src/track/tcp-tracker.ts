import type { PacketRecord } from '../capture/packet-record.js';
import type { PcapngWalkInterface } from '../capture/pcapng-run.js';
import { DECODE_STATUS_COUNT, DECODED_TCP } from '../decode/decode-status.js';
import { DecodedTcp } from '../decode/decoded-tcp.js';
import { PacketBlock } from '../decode/packet-block.js';
import { DEFAULT_CHUNK } from '../capture/sync-source.js';
import { COLD_BYTES } from './cold-layout.js';
import { ConnectionStore } from './connection-store.js';
import { readDecodeTally, type DecodeTally } from './decode-tally.js';
import { EventLog } from './event-log.js';
import { EventLineOut, type EventLineSpec } from './event-line-out.js';
import { E_STRIDE } from './event-layout.js';
import { RECORD_BYTES } from './record-layout.js';
import type { ResetContext } from './reset-context.js';
import { NOTE_MAX } from './reset-note-layout.js';
import { ResetNotes } from './reset-notes.js';
import { TAIL_STRIDE32 } from './tail-layout.js';
import { V6_BYTES } from './v6-layout.js';
import { UnansweredTails } from './unanswered-tails.js';
import { instantiatePass, type PassExports } from './wasm-pass.js';

export type { UnansweredTails } from './unanswered-tails.js';

/**
 * Per connection, what the idle-period pass over the event log found (see
 * TcpTracker.idlePeriods): views of the tracker's memory, valid until it
 * next tracks a packet.
 */
export interface IdlePeriodArrays {
  survivedCount: Uint32Array;
  survivedMaxNs: Float64Array;
  diedCount: Uint32Array;
  diedMinNs: Float64Array;
  /** Key of the connection's first period, comparable across passes (-1: none; see wasm/idle-pass.ts). */
  first: Float64Array;
  /** Periods counted. */
  periods: number;
}

/** Frame counts of records the tracker walked itself (see trackPcapRecords). */
export interface WalkedFrames {
  /** Frames per decode status. */
  statusCounts: Uint32Array;
  /** Latest timestamp among them (-Infinity: none). */
  latestSec: number;
  latestNsec: number;
}

export interface TrackerOptions {
  /** Connections to allocate for up front (grows by doubling). */
  initialConnections?: number;
}

/**
 * Follows every TCP connection of a capture: assigns packets to connections
 * (4-tuple, port reuse, mid-stream pickup), keeps per-direction sequence
 * state and classifies each packet the way Wireshark's TCP analysis does for
 * keep-alives, keep-alive ACKs, zero-window probes and retransmissions.
 *
 * The per-packet work runs in WebAssembly (src/wasm/tracker.ts); this class
 * feeds it frames and reads its results: the connection records in place,
 * the event log as the tracker hands it over, and a ResetContext per RST
 * (from the notes it writes down as each RST arrives).
 */
export class TcpTracker {
  /** Every RST with the context attribution needs (RSTs are rare: an object each is fine). */
  readonly resets: ResetContext[] = [];
  /** Where the WebAssembly tracker writes down each RST until they are taken into `resets`. */
  private readonly notes: ResetNotes;
  private readonly x: PassExports;
  private readonly memory: WebAssembly.Memory;
  private readonly records = new ConnectionStore();
  private readonly log = new EventLog();
  private readonly block: PacketBlock;
  private readonly scratch: Uint8Array;
  private readonly scratchAt: number;
  /** The reader's chunk buffer, when it lives in the tracker's memory (frames in it need no copy). */
  private chunk: Buffer | null = null;
  private readonly pkt = new DecodedTcp();
  /** Frames per decode status of the records walked in WebAssembly (see walked()). */
  private readonly walkedCounts: Uint32Array;
  /** Times compact() ran, and how many events the last one kept: readers of the log by index start over from there. */
  compactions = 0;
  eventsKeptByLastCompaction = 0;
  /** Frame number of the last record trackPcapRecords() took. */
  pcapFrame = 0;
  /** The --events lines trackPcapRecords() writes as it walks, when asked to (see writeEventLines). */
  private lineOut: EventLineOut | null = null;
  /** The tracker has run since the store's views and count were last brought up to date. */
  private tracked = true;
  /** Where the event views point (the region moves up when the store grows). */
  private eventsAt = -1;
  private eventsCap = 0;

  constructor(opts: TrackerOptions = {}) {
    const { exports, memory } = instantiatePass(opts.initialConnections ?? 1024, DEFAULT_CHUNK);
    this.x = exports;
    this.memory = memory;
    // These regions lie below the store and never move: views of today's buffer stay valid.
    const sab = memory.buffer;
    this.block = new PacketBlock(sab, exports.packetAddress());
    this.scratchAt = exports.scratchAddress();
    this.scratch = new Uint8Array(sab, this.scratchAt, exports.scratchBytes());
    this.walkedCounts = new Uint32Array(sab, exports.countsAddress(), DECODE_STATUS_COUNT);
    this.notes = new ResetNotes(sab, exports.resetNotesAddress(), NOTE_MAX);
  }

  /** The connection records, as far as the tracker has got. */
  get store(): ConnectionStore {
    if (this.tracked) this.sync();
    return this.records;
  }

  /** The event log, as far as the tracker has got. */
  get events(): EventLog {
    if (this.tracked) this.sync();
    return this.log;
  }

  /**
   * Points the views at the tracker's regions again, which move up and grow
   * as it goes. Diagnosis reads the store per connection: this asks the
   * tracker only when it has run since the last time.
   */
  private sync(): void {
    const x = this.x;
    const sab = this.memory.buffer;
    const cap = x.storeCapacity();
    if (cap !== this.records.capacity) this.records.attach(sab, x.storeAddress(), cap);
    const coldAt = x.coldAddress();
    const coldCap = x.coldEntries();
    if (coldAt !== this.records.coldAt || coldCap !== this.records.coldCapacity) this.records.attachCold(sab, coldAt, coldCap);
    const v6At = x.v6Address();
    const v6Cap = x.v6Entries();
    if (v6At !== this.records.v6At || v6Cap !== this.records.v6Capacity) this.records.attachV6(sab, v6At, v6Cap);
    this.records.count = x.connectionCount();
    const at = x.eventsAddress();
    const ecap = x.eventsCapacity();
    if (at !== this.eventsAt || ecap !== this.eventsCap) {
      this.log.attach(sab, at, ecap);
      this.eventsAt = at;
      this.eventsCap = ecap;
    }
    this.log.count = x.eventsCount();
    this.tracked = false;
  }

  get connectionCount(): number {
    return this.store.count;
  }

  /** Time base: every time column is ns relative to (baseSec, baseNsec). */
  get baseSec(): number {
    return this.x.timeBaseSec();
  }
  get baseNsec(): number {
    return this.x.timeBaseNsec();
  }

  // Result of the last track() call, read by --events and live views.
  get lastConn(): number {
    return this.x.lastConnection();
  }
  /** The number (ConnectionStore.id) of the last tracked packet's connection. */
  get lastId(): number {
    return this.x.lastConnectionId();
  }
  get lastDir(): number {
    return this.x.lastDirectionOf();
  }
  get lastTime(): number {
    return this.x.lastTimeNs();
  }
  /** Frames so far that were copies of the packet before them (K_DUPLICATE), forgotten connections' included. */
  get duplicateFrames(): number {
    return this.x.duplicateFrames();
  }

  /** Bytes the tracker holds for connection state (records, the entries they name, flow index), excluding the event log. */
  memoryBytes(): number {
    return this.store.memoryBytes() + this.x.flowSlots() * 4;
  }

  /**
   * Bytes of what the tracker holds now (records, their entries and events in use; the
   * regions' capacity and the flow index only grow, to the high-water mark
   * of this): what eviction keeps within a budget.
   */
  heldBytes(): number {
    return (
      this.x.connectionCount() * RECORD_BYTES +
      this.x.coldHeld() * COLD_BYTES +
      this.x.v6Held() * V6_BYTES +
      this.x.eventsCount() * E_STRIDE
    );
  }

  /** What connection c, with `events` logged events, adds to heldBytes(). */
  heldBytesOf(c: number, events: number): number {
    return RECORD_BYTES + this.store.entryBytes(c) + events * E_STRIDE;
  }

  /** All the memory the WebAssembly pass has taken (records, flow index, buffers). */
  passMemoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A buffer of `size` bytes inside the tracker's memory for the capture
   * reader to read into: frames parsed from it are tracked without a copy.
   * Null when it does not fit (the reader then uses its own).
   */
  chunkBuffer = (size: number): Buffer | null => {
    if (this.chunk !== null || size > this.x.chunkSize()) return null;
    this.chunk = Buffer.from(this.memory.buffer, this.x.chunkAddress(), size);
    return this.chunk;
  };

  /** Decode and track one frame: its kind (K_*), or minus its decode status when it is not usable TCP. */
  trackFrame(r: PacketRecord): number {
    const buf = r.buf;
    let ptr: number;
    if (buf === this.chunk) ptr = buf.byteOffset + r.offset;
    else ptr = this.copyIn(buf, r.offset, r.capLen);
    const kind = this.x.trackFrame(ptr, r.capLen, r.origLen, r.linkType, r.tsSec, r.tsNsec, r.frame);
    // The frame may have opened a connection, and grown the store.
    this.tracked = true;
    this.notes.takeInto(this.resets);
    return kind;
  }

  /**
   * Decodes and tracks the whole classic-pcap records of buf[start, end) in
   * WebAssembly, numbering them after `frame`; returns where it stopped (see
   * PcapRecordRun), at the latest once frame `last` is tracked. Only a chunk
   * inside the tracker's memory can be walked.
   */
  trackPcapRecords(
    buf: Buffer,
    start: number,
    end: number,
    le: boolean,
    nano: boolean,
    linkType: number,
    frame: number,
    last: number,
  ): number {
    this.pcapFrame = frame;
    return this.walkChunk(buf, start, end, last, (pos, to) =>
      this.x.trackPcapRecords(pos, to, le ? 1 : 0, nano ? 1 : 0, linkType, this.pcapFrame, last),
    );
  }

  /**
   * Runs `walk(pos, to)`, a WebAssembly walk over the chunk's bytes from
   * address pos to `to`, until it reaches the end of buf[start, end) or frame
   * `last`. A walk also stops when the ring of reset notes is full or the
   * --events region has no room for another line: they are emptied and it
   * goes on. Returns where it stopped, relative to buf.
   */
  private walkChunk(buf: Buffer, start: number, end: number, last: number, walk: (pos: number, to: number) => number): number {
    if (buf !== this.chunk) return start;
    const at = buf.byteOffset;
    let pos = at + start;
    for (;;) {
      const stop = walk(pos, at + end);
      this.tracked = true;
      this.pcapFrame = this.x.pcapFrameNumber();
      const linesFull = this.lineOut !== null && this.lineOut.drain();
      const full = this.notes.takeInto(this.resets) === NOTE_MAX || linesFull;
      const moved = stop !== pos;
      pos = stop;
      if (!full || !moved || this.pcapFrame === last) break;
    }
    return pos - at;
  }

  /** The epb_dropcount total after the last trackPcapngBlocks(), and whether that call read one. */
  pcapngDrops = 0;
  pcapngDropsSeen = false;

  /** Describes the current pcapng section's interfaces to the walk over its packet blocks. */
  pcapngInterfaces(list: readonly PcapngWalkInterface[]): void {
    list.forEach((f, i) => {
      const u = f.unit;
      this.x.pcapngInterface(i, f.linkType, f.snaplen, f.used ? 1 : 0, u.kind, u.div, u.mul, u.shift, u.offsetSec);
    });
    this.x.pcapngInterfaces(list.length);
  }

  /**
   * Like trackPcapRecords for the pcapng packet blocks of buf[start, end)
   * (see PcapngBlockRun), adding their epb_dropcount onto `drops`; stops
   * once frame `last` is tracked.
   */
  trackPcapngBlocks(buf: Buffer, start: number, end: number, le: boolean, frame: number, drops: number, last: number): number {
    this.pcapFrame = frame;
    this.pcapngDrops = drops;
    this.pcapngDropsSeen = false;
    return this.walkChunk(buf, start, end, last, (pos, to) => {
      const stop = this.x.trackPcapngBlocks(pos, to, le ? 1 : 0, this.pcapFrame, this.pcapngDrops, last);
      this.pcapngDrops = this.x.pcapngDrops();
      if (this.x.pcapngDropsSeen() !== 0) this.pcapngDropsSeen = true;
      return stop;
    });
  }

  /**
   * Has trackPcapRecords() write each TCP packet's --events line too, and
   * hand them to `spec.write` before it returns (eventLine() does the same for
   * a frame tracked alone). The texts must fit (fitsEventLines).
   */
  writeEventLines(spec: EventLineSpec): void {
    this.lineOut = EventLineOut.start(this.x, this.memory.buffer, spec);
  }

  /** The --events line of the frame trackFrame() just tracked as TCP (of `kind`), when writeEventLines() took. */
  eventLine(r: PacketRecord, kind: number): void {
    this.lineOut?.line(r.frame, r.tsSec, r.tsNsec, kind);
  }

  /** Hands the --events lines not yet written out to the spec's writer (at the end of a capture). */
  flushEventLines(): void {
    this.lineOut?.drain();
  }

  /** What the records walked in WebAssembly since the last call tell about frames; clears it. */
  takeWalked(): WalkedFrames {
    const walked = { statusCounts: this.walkedCounts.slice(), latestSec: this.x.latestTsSec(), latestNsec: this.x.latestTsNsec() };
    this.x.clearCounts();
    return walked;
  }

  /** Frames from elsewhere (live capture, buffers) are copied into the tracker's scratch area. */
  private copyIn(buf: Buffer, offset: number, capLen: number): number {
    const n = Math.min(capLen, this.scratch.length);
    const to = this.scratch;
    // Header-sized frames byte by byte: set() needs a subarray view, an allocation per frame.
    if (n <= 256) for (let i = 0; i < n; i++) to[i] = buf[offset + i]!;
    else to.set(buf.subarray(offset, offset + n), 0);
    return this.scratchAt;
  }

  /** Decodes `r` without tracking it: DECODED_TCP with `out` filled, or why it is not usable TCP. */
  decodeInto(r: PacketRecord, out: DecodedTcp): number {
    const status = this.x.decode(this.copyIn(r.buf, r.offset, r.capLen), r.capLen, r.origLen, r.linkType);
    if (status === DECODED_TCP) this.block.read(out);
    return status;
  }

  /** The tunnels TCP came through and the IP lengths that overran their frame, so far. */
  decodeTally(): DecodeTally {
    return readDecodeTally(this.memory.buffer, this.x.decodeTallyAddress());
  }

  /** The last decoded packet, as an object (for --events, live views and RSTs; reused). */
  packet(): DecodedTcp {
    return this.block.read(this.pkt);
  }

  /**
   * Every idle period in the event log and whether the connection came
   * through it: survived when the other side answered, died when a RST among
   * `middleboxFrames` (ascending) did, or when the silence never ended and is
   * one of `silentDrops` (triples: connection, first frame of its unanswered
   * tail, the connection's first frame; in connection order). One pass in WebAssembly over the log in place.
   */
  idlePeriods(middleboxFrames: Uint32Array, silentDrops: Uint32Array): IdlePeriodArrays {
    const x = this.x;
    const n = this.connectionCount;
    const log = this.events;
    const marksBytes = (middleboxFrames.length * 4 + 63) & ~63;
    const dropsBytes = (silentDrops.length * 4 + 63) & ~63;
    const at = x.scratchAbove(marksBytes + dropsBytes + x.idleArraysBytes(n));
    const sab = this.memory.buffer;
    new Uint32Array(sab, at, middleboxFrames.length).set(middleboxFrames);
    new Uint32Array(sab, at + marksBytes, silentDrops.length).set(silentDrops);
    const out = at + marksBytes + dropsBytes;
    const periods = x.idlePass(x.eventsAddress(), log.count, n, at, middleboxFrames.length, at + marksBytes, silentDrops.length / 3, out);
    return {
      survivedCount: new Uint32Array(sab, x.survivedCountAt(out, n), n),
      survivedMaxNs: new Float64Array(sab, x.survivedMaxAt(out, n), n),
      diedCount: new Uint32Array(sab, x.diedCountAt(out, n), n),
      diedMinNs: new Float64Array(sab, x.diedMinAt(out, n), n),
      first: new Float64Array(sab, x.firstAt(out, n), n),
      periods,
    };
  }

  /** The earliest first-packet and the latest last-packet time of any connection (ns from the time base; ±Infinity: none). */
  timeSpan(): { firstNs: number; lastNs: number } {
    const x = this.x;
    const at = x.scratchAbove(16);
    x.timeSpan(x.storeAddress(), this.connectionCount, at);
    const span = new Float64Array(this.memory.buffer, at, 2);
    return { firstNs: span[0]!, lastNs: span[1]! };
  }

  /**
   * What each side sent after the other side's last packet (one pass in
   * WebAssembly over the event log), and the latest packet time of any
   * connection.
   */
  unansweredTails(): UnansweredTails {
    const x = this.x;
    const n = this.connectionCount;
    const captureEndNs = this.timeSpan().lastNs;
    const at = x.scratchAbove(x.tailsBytes(n));
    x.unansweredTails(x.storeAddress(), n, x.eventsAddress(), this.events.count, at);
    const sab = this.memory.buffer;
    return new UnansweredTails(
      new Int32Array(sab, at, n * 2 * TAIL_STRIDE32).slice(),
      new Uint8Array(sab, x.flagsAt(at, n), n).slice(),
      captureEndNs,
    );
  }

  /**
   * Event indexes grouped by connection (a counting sort in WebAssembly):
   * connection c's events, in capture order, are order[start[c] .. start[c + 1]).
   * Copies, so they outlive the tracker's next packet.
   */
  eventGroups(): { start: Int32Array; order: Int32Array } {
    const x = this.x;
    const n = this.connectionCount;
    const count = this.events.count;
    const at = x.scratchAbove(x.eventGroupsBytes(n, count));
    x.groupEvents(x.eventsAddress(), count, n, at);
    const sab = this.memory.buffer;
    return { start: new Int32Array(sab, at, n + 1).slice(), order: new Int32Array(sab, at + (n + 1) * 4, count).slice() };
  }

  /**
   * Each connection's server (side B's address and port) as a number, in
   * order of first appearance, and each server's first connection (copies).
   */
  serverIndexes(): { ofConn: Int32Array; firstConn: Int32Array } {
    const x = this.x;
    const n = this.connectionCount;
    const at = x.scratchAbove(x.serverIndexesBytes(n));
    const servers = x.serverIndexes(x.storeAddress(), n, at);
    const sab = this.memory.buffer;
    return { ofConn: new Int32Array(sab, at, n).slice(), firstConn: new Int32Array(sab, at + n * 4, servers).slice() };
  }

  /**
   * Forgets the connections whose `keep` byte is 0, with their events and
   * RST contexts; the others move down to close the gaps (ids stay: see
   * ConnectionStore.id). Returns each old index's new one (-1: forgotten).
   */
  compact(keep: Uint8Array): Int32Array {
    const x = this.x;
    const n = this.connectionCount;
    const keepBytes = (n + 63) & ~63;
    const at = x.scratchAbove(x.compactBytes(n));
    const sab = this.memory.buffer;
    new Uint8Array(sab, at, n).set(keep.subarray(0, n));
    x.compact(at, at + keepBytes);
    this.compactions++;
    this.eventsKeptByLastCompaction = x.eventsCount();
    const remap = new Int32Array(sab, at + keepBytes, n).slice();
    this.tracked = true;
    let kept = 0;
    for (const r of this.resets) {
      const to = remap[r.conn]!;
      if (to < 0) continue;
      r.conn = to;
      this.resets[kept++] = r;
    }
    this.resets.length = kept;
    return remap;
  }

  /** Absolute time of a relative tracker time, as [seconds, nanoseconds]. */
  absolute(rel: number): [number, number] {
    const totalNs = this.baseNsec + rel;
    let sec = this.baseSec + Math.floor(totalNs / 1e9);
    let ns = Math.round(totalNs - Math.floor(totalNs / 1e9) * 1e9);
    if (ns >= 1e9) {
      sec += 1;
      ns -= 1e9;
    }
    return [sec, ns];
  }
}

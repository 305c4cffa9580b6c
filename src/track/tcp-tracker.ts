import type { PacketRecord } from '../capture/packet-record.js';
import { DecodedTcp } from '../decode/decoded-tcp.js';
import * as tcpFlags from '../decode/decoded-tcp.js';
import { ConnectionStore } from './connection-store.js';
import * as rec from './connection-store.js';
import { EventLog } from './event-log.js';
import * as ev from './event-log.js';
import type { ResetContext } from './reset-context.js';
import { FlowTable } from './flow-table.js';
import * as kinds from './packet-kind.js';

// The numeric constants become this module's own: V8 folds a module's constants
// into optimized code, but loads and hole-checks an imported binding at every
// use, and track() has ~150 uses per packet (measured: track() ~15% slower).
const { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } = tcpFlags;
const {
  B_DATA_AFTER_RST, B_DIR_FLAGS, B_END_INFO, B_LAST_KIND, B_TTL_FIRST, B_TTL_MAX, B_TTL_MIN, B_WSCALE,
  D_FIN, D_IPID_NONZERO, D_KEEPALIVE, D_NEXTSEQ_SET, D_SACK_PERM, D_SYN_SEEN, D_TIMESTAMPS, D_ZWP,
  END_FIN, END_HALF_CLOSED, END_NO_ANSWER, END_OPEN, END_REJECTED, END_RESET,
  F_BYTES, F_MAX_IDLE, F_PAYLOAD, F_SYN_OR_RTT, F_T_FIRST, F_T_LAST,
  H_LAST_IPID, H_MSS, H_PORT, H_RSTS, H_STATE, H_WIN,
  ST_ESTABLISHED, ST_EVENT_DIR_B, ST_IPV6, ST_LAST_DIR_B, ST_LAST_LOGGED, ST_MIDSTREAM, ST_RESET, ST_RTT_KNOWN, ST_SAW_SYN, ST_SAW_SYNACK,
  ST_UNANSWERED,
  STRIDE16, STRIDE32, STRIDE64, STRIDE8,
  W_ADDR, W_END_FRAME, W_FIRST_FRAME, W_GAPS, W_ISN, W_KEEPALIVE_ACKS, W_KEEPALIVES, W_LAST_ACK, W_LAST_FRAME_DIR,
  W_MAX_IDLE_FRAME, W_NEXT_SEQ, W_PKTS, W_RETRANS, W_ZWPS,
} = rec;
const {
  E_ACK, E_CONN, E_DIR, E_FLAGS, E_FRAME, E_IDLE, E_IPID, E_KIND, E_LEN, E_OPTS, E_SEQ, E_STRIDE, E_STRIDE16, E_STRIDE32,
  E_STRIDE64, E_TIME, E_TTL, E_WIN,
} = ev;
const { K_ACK, K_DATA, K_FIN, K_KEEPALIVE, K_KEEPALIVE_ACK, K_RETRANSMISSION, K_RST, K_SYN, K_SYNACK, K_ZERO_WINDOW_PROBE } = kinds;

// Sequence comparisons are written out inline as Wireshark's GT_SEQ(a, b) = ((b - a) | 0) < 0:
// a helper taking sequence numbers (above 2^30) would box both in heap numbers on every call V8 does not inline.

export interface TrackerOptions {
  /** Connections to allocate for up front (grows by doubling). */
  initialConnections?: number;
  /** A packet that ends a silence at least this long (ns) goes into the event log. */
  idleMarkNs?: number;
}

/**
 * Follows every TCP connection of a capture: assigns packets to connections
 * (4-tuple, port reuse, mid-stream pickup), keeps per-direction sequence
 * state and classifies each packet the way Wireshark's TCP analysis does for
 * keep-alives, keep-alive ACKs, zero-window probes and retransmissions.
 */
export class TcpTracker {
  readonly store: ConnectionStore;
  readonly flows: FlowTable;
  readonly events = new EventLog();
  /** Every RST with the context attribution needs (RSTs are rare: an object each is fine). */
  readonly resets: ResetContext[] = [];
  private readonly idleMarkNs: number;

  /** Time base: every time column is ns relative to (baseSec, baseNsec). */
  baseSec = 0;
  baseNsec = 0;
  private haveBase = false;

  // Result of the last track() call, read by --events and live views.
  lastConn = -1;
  lastDir = 0;
  lastTime = 0;

  constructor(opts: TrackerOptions = {}) {
    const n = opts.initialConnections ?? 1024;
    this.store = new ConnectionStore(n);
    this.flows = new FlowTable(this.store, n * 2);
    this.idleMarkNs = opts.idleMarkNs ?? 1e9;
  }

  get connectionCount(): number {
    return this.store.count;
  }

  /** Bytes the tracker holds for connection state (columns + flow index), excluding the event log. */
  memoryBytes(): number {
    return this.store.memoryBytes() + this.flows.memoryBytes();
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

  /** Track one decoded TCP packet; returns its kind (K_*). */
  track(p: DecodedTcp, rec: PacketRecord): number {
    if (!this.haveBase) {
      this.baseSec = rec.tsSec;
      this.baseNsec = rec.tsNsec;
      this.haveBase = true;
    }
    const t = this.relTime(rec);
    const s = this.store;
    const flags = p.flags;
    const isSyn = (flags & TCP_SYN) !== 0;
    const isAck = (flags & TCP_ACK) !== 0;
    const hash = FlowTable.hash(p.src, p.dst, p.srcPort, p.dstPort);
    let c = this.flows.find(hash, p.src, p.dst, p.srcPort, p.dstPort);
    let d = this.flows.lastDir;
    if (c < 0 || (isSyn && this.isNewIncarnation(c, d, p))) {
      c = this.open(hash, p, rec);
      d = this.flows.lastDir;
    }

    // The views are read after open(): it may have grown (replaced) the buffer.
    const f64 = s.f64;
    const u32 = s.u32;
    const u16 = s.u16;
    const u8 = s.u8;
    const b64 = c * STRIDE64;
    const b32 = c * STRIDE32;
    const b16 = c * STRIDE16;
    const b8 = c * STRIDE8;
    const r = d ^ 1;
    const seq = p.seq;
    const ack = p.ack;
    const seglen = p.payloadLen;
    const window = p.window;
    const isFin = (flags & TCP_FIN) !== 0;
    const isRst = (flags & TCP_RST) !== 0;
    const fFlags = u8[b8 + B_DIR_FLAGS + d]!;
    const rFlags = u8[b8 + B_DIR_FLAGS + r]!;
    const nextSeqSet = (fFlags & D_NEXTSEQ_SET) !== 0;
    const nextSeq = u32[b32 + W_NEXT_SEQ + d]!;

    // --- Wireshark tcp_analyze_sequence_number(), the parts that decide our kinds ---
    let analysis = 0; // D_KEEPALIVE / D_ZWP for this segment
    // Like Wireshark, a direction never seen counts as window 0.
    if (seglen === 1 && nextSeqSet && seq === nextSeq && u16[b16 + H_WIN + r] === 0) {
      analysis = D_ZWP;
    } else {
      if (nextSeqSet && ((nextSeq - seq) | 0) < 0 && !isRst) u32[b32 + W_GAPS]!++;
      if (seglen <= 1 && nextSeqSet && seq === ((nextSeq - 1) >>> 0) && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0) {
        analysis = D_KEEPALIVE;
      }
    }
    const keepaliveAck =
      analysis === 0 && seglen === 0 && window !== 0 && window === u16[b16 + H_WIN + d] && nextSeqSet && seq === nextSeq &&
      ack === u32[b32 + W_LAST_ACK + d] && (rFlags & D_KEEPALIVE) !== 0 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0;
    let retrans = false;
    if (analysis === 0 && !keepaliveAck && (seglen > 0 || isSyn || isFin) && nextSeqSet && ((seq - nextSeq) | 0) < 0) {
      // Data right after a zero-window probe starts one byte early and is new data, not a retransmission.
      retrans = !(seglen > 1 && seq === ((nextSeq - 1) >>> 0));
    }

    let kind: number;
    if (isRst) kind = K_RST;
    else if (isSyn) kind = isAck ? K_SYNACK : K_SYN;
    else if (analysis === D_KEEPALIVE) kind = K_KEEPALIVE;
    else if (keepaliveAck) kind = K_KEEPALIVE_ACK;
    else if (analysis === D_ZWP) kind = K_ZERO_WINDOW_PROBE;
    else if (retrans) kind = K_RETRANSMISSION;
    else if (isFin) kind = K_FIN;
    else if (seglen > 0) kind = K_DATA;
    else kind = K_ACK;

    // --- sequence bookkeeping (Wireshark's finished_fwd) ---
    let df = (fFlags & ~(D_KEEPALIVE | D_ZWP)) | analysis;
    if (seglen > 0 || isSyn || isFin) {
      const nxt = (seq + seglen + (isSyn || isFin ? 1 : 0)) >>> 0;
      if ((!nextSeqSet || ((nextSeq - nxt) | 0) < 0) && analysis !== D_ZWP) {
        u32[b32 + W_NEXT_SEQ + d] = nxt;
        df |= D_NEXTSEQ_SET;
      }
    }
    u16[b16 + H_WIN + d] = window;
    u32[b32 + W_LAST_ACK + d] = ack;

    // --- counters ---
    const pkts = ++u32[b32 + W_PKTS + d]!;
    f64[b64 + F_BYTES + d]! += p.ipLen;
    f64[b64 + F_PAYLOAD + d]! += seglen;
    const ttl = p.ttl;
    if (pkts === 1) u8[b8 + B_TTL_FIRST + d] = ttl;
    if (ttl < u8[b8 + B_TTL_MIN + d]!) u8[b8 + B_TTL_MIN + d] = ttl;
    if (ttl > u8[b8 + B_TTL_MAX + d]!) u8[b8 + B_TTL_MAX + d] = ttl;
    switch (kind) {
      case K_KEEPALIVE:
        u32[b32 + W_KEEPALIVES + d]!++;
        break;
      case K_KEEPALIVE_ACK:
        u32[b32 + W_KEEPALIVE_ACKS + d]!++;
        break;
      case K_RETRANSMISSION:
        u32[b32 + W_RETRANS + d]!++;
        break;
      case K_ZERO_WINDOW_PROBE:
        u32[b32 + W_ZWPS + d]!++;
        break;
      case K_RST:
        if (u16[b16 + H_RSTS + d]! < 0xffff) u16[b16 + H_RSTS + d]!++;
        break;
    }

    // --- connection state ---
    let st = u16[b16 + H_STATE]!;
    if (isSyn) {
      df |= this.onSyn(c, d, isAck, p, rec);
      st = u16[b16 + H_STATE]!;
    } else if (isAck && (st & (ST_ESTABLISHED | ST_SAW_SYNACK)) === ST_SAW_SYNACK && d === 0 && ack === ((u32[b32 + W_ISN + 1]! + 1) >>> 0)) {
      st |= ST_ESTABLISHED;
      if ((st & ST_SAW_SYN) !== 0) {
        f64[b64 + F_SYN_OR_RTT] = t - f64[b64 + F_SYN_OR_RTT]!;
        st |= ST_RTT_KNOWN;
      }
    }
    if (isFin && (fFlags & D_FIN) === 0) {
      df |= D_FIN;
      if ((st & ST_RESET) === 0) {
        if ((rFlags & D_FIN) === 0) this.setEnd(c, d, rec.frame, END_HALF_CLOSED);
        else u8[b8 + B_END_INFO] = (u8[b8 + B_END_INFO]! & 0x80) | END_FIN;
      }
    }
    if (isRst) this.recordReset(c, d, p, rec, seglen);
    else if ((st & ST_RESET) !== 0 && seglen > 0 && u8[b8 + B_DATA_AFTER_RST + d]! < 255) u8[b8 + B_DATA_AFTER_RST + d]!++;
    if (isRst && (st & ST_RESET) === 0) {
      st |= ST_RESET;
      // A RST after both FINs is a late answer, not what ended the connection.
      if ((u8[b8 + B_END_INFO]! & 0x7f) !== END_FIN) {
        // A RST from the server before any SYN-ACK is a refused connection, not a reset one.
        const refused = d === 1 && (st & (ST_SAW_SYNACK | ST_ESTABLISHED)) === 0 && (st & ST_SAW_SYN) !== 0;
        this.setEnd(c, d, rec.frame, refused ? END_REJECTED : END_RESET);
      }
    }
    // IP ID is noted after recordReset() so the RST is compared with the packets before it.
    if (p.ipId > 0) df |= D_IPID_NONZERO;
    if (p.ipId >= 0) u16[b16 + H_LAST_IPID + d] = p.ipId;
    u8[b8 + B_DIR_FLAGS + d] = df;

    // --- timing ---
    const idle = u32[b32 + W_PKTS]! + u32[b32 + W_PKTS + 1]! > 1 ? t - f64[b64 + F_T_LAST]! : 0;
    if (idle > f64[b64 + F_MAX_IDLE]!) {
      f64[b64 + F_MAX_IDLE] = idle;
      u32[b32 + W_MAX_IDLE_FRAME] = rec.frame;
    }
    f64[b64 + F_T_LAST] = t;
    u32[b32 + W_LAST_FRAME_DIR + d] = rec.frame;
    u8[b8 + B_LAST_KIND] = kind;

    // Notable packets, and the first answer to one of them, go to the event log. The handshake
    // is not logged: it lives in the connection record, and logging it would cost ~90 bytes per connection.
    const answers = (st & ST_LAST_LOGGED) !== 0 && (st & ST_LAST_DIR_B) !== (d === 1 ? ST_LAST_DIR_B : 0);
    const logged = kind > K_ACK || idle >= this.idleMarkNs || answers;
    if (logged) {
      const log = this.events;
      const e = log.reserve();
      log.f64[e * E_STRIDE64 + E_TIME] = t;
      log.f64[e * E_STRIDE64 + E_IDLE] = idle;
      const e32 = e * E_STRIDE32;
      log.u32[e32 + E_CONN] = c;
      log.u32[e32 + E_FRAME] = rec.frame;
      log.u32[e32 + E_SEQ] = seq;
      log.u32[e32 + E_ACK] = ack;
      log.i32[e32 + E_IPID] = p.ipId;
      log.u16[e * E_STRIDE16 + E_LEN] = seglen > 0xffff ? 0xffff : seglen;
      log.u16[e * E_STRIDE16 + E_WIN] = window;
      const e8 = e * E_STRIDE;
      const u8l = log.u8;
      u8l[e8 + E_KIND] = kind;
      u8l[e8 + E_DIR] = d;
      u8l[e8 + E_TTL] = ttl;
      u8l[e8 + E_FLAGS] = flags;
      u8l[e8 + E_OPTS] = p.hasTimestamps ? 1 : 0;
      const unanswered = kind === K_KEEPALIVE || kind === K_DATA || kind === K_RETRANSMISSION || kind === K_RST;
      st = (st & ~(ST_UNANSWERED | ST_EVENT_DIR_B)) | (unanswered ? ST_UNANSWERED : 0) | (d === 1 ? ST_EVENT_DIR_B : 0) | ST_LAST_LOGGED;
    } else {
      // Any packet from the other side answers the last logged one.
      if ((st & ST_EVENT_DIR_B) !== (d === 1 ? ST_EVENT_DIR_B : 0)) st &= ~ST_UNANSWERED;
      st &= ~ST_LAST_LOGGED;
    }
    u16[b16 + H_STATE] = d === 1 ? st | ST_LAST_DIR_B : st & ~ST_LAST_DIR_B;
    this.lastConn = c;
    this.lastDir = d;
    this.lastTime = t;
    return kind;
  }

  /**
   * ns since the time base. The rare paths (open, onSyn, recordReset) call this
   * again rather than take the time as an argument: a float argument anywhere
   * in track() makes V8 box it in a heap number on every packet.
   */
  private relTime(rec: PacketRecord): number {
    return (rec.tsSec - this.baseSec) * 1e9 + (rec.tsNsec - this.baseNsec);
  }

  /** How the connection ended, as an END_* code (settles SYN-only connections). */
  endKind(c: number): number {
    const s = this.store;
    const e = s.b(c, B_END_INFO) & 0x7f;
    if (e !== END_OPEN) return e;
    const st = s.h(c, H_STATE);
    if ((st & ST_SAW_SYN) !== 0 && (st & (ST_SAW_SYNACK | ST_ESTABLISHED)) === 0 && s.w(c, W_PKTS + 1) === 0) return END_NO_ANSWER;
    return END_OPEN;
  }

  /**
   * A SYN on a known tuple starts a new connection (port reuse) when the old
   * one is over or the SYN carries a different initial sequence number.
   */
  private isNewIncarnation(c: number, d: number, p: DecodedTcp): boolean {
    const s = this.store;
    const st = s.h(c, H_STATE);
    // A retransmitted SYN repeats its ISN; a different ISN is a new connection on the same ports.
    if ((s.b(c, B_DIR_FLAGS + d) & D_SYN_SEEN) !== 0) return s.w(c, W_ISN + d) !== p.seq;
    const ended = (st & ST_RESET) !== 0 || (s.b(c, B_DIR_FLAGS) & s.b(c, B_DIR_FLAGS + 1) & D_FIN) !== 0;
    return (st & ST_MIDSTREAM) !== 0 || ended;
  }

  private open(hash: number, p: DecodedTcp, rec: PacketRecord): number {
    const s = this.store;
    const t = this.relTime(rec);
    const frame = rec.frame;
    const c = s.add();
    const isSyn = (p.flags & TCP_SYN) !== 0;
    const isAck = (p.flags & TCP_ACK) !== 0;
    // Side A is the client. A SYN names it; a SYN-ACK names its receiver;
    // mid-stream, the lower port is taken to be the server's.
    let srcIsClient: boolean;
    let st = 0;
    if (isSyn) srcIsClient = !isAck;
    else {
      srcIsClient = p.srcPort >= p.dstPort;
      st |= ST_MIDSTREAM | ST_ESTABLISHED;
    }
    if (p.ipVersion === 6) st |= ST_IPV6;
    const a = c * STRIDE32 + W_ADDR;
    for (let k = 0; k < 4; k++) {
      s.u32[a + k] = srcIsClient ? p.src[k]! : p.dst[k]!;
      s.u32[a + 4 + k] = srcIsClient ? p.dst[k]! : p.src[k]!;
    }
    const b16 = c * STRIDE16;
    s.u16[b16 + H_PORT] = srcIsClient ? p.srcPort : p.dstPort;
    s.u16[b16 + H_PORT + 1] = srcIsClient ? p.dstPort : p.srcPort;
    s.u16[b16 + H_STATE] = st;
    s.u32[c * STRIDE32 + W_FIRST_FRAME] = frame;
    s.f64[c * STRIDE64 + F_T_FIRST] = t;
    s.f64[c * STRIDE64 + F_T_LAST] = t;
    this.flows.assign(hash, c);
    this.flows.lastDir = srcIsClient ? 0 : 1;
    return c;
  }

  /** Record a SYN or SYN-ACK; returns the direction flags it adds. */
  private onSyn(c: number, d: number, isAck: boolean, p: DecodedTcp, rec: PacketRecord): number {
    const s = this.store;
    s.u32[c * STRIDE32 + W_ISN + d] = p.seq;
    let df = D_SYN_SEEN;
    if (p.sackPerm) df |= D_SACK_PERM;
    if (p.hasTimestamps) df |= D_TIMESTAMPS;
    if (p.mss >= 0) s.u16[c * STRIDE16 + H_MSS + d] = p.mss;
    if (p.wscale >= 0) s.u8[c * STRIDE8 + B_WSCALE + d] = p.wscale > 14 ? 14 : p.wscale;
    const sti = c * STRIDE16 + H_STATE;
    if (isAck) {
      s.u16[sti] = s.u16[sti]! | ST_SAW_SYNACK;
    } else if (d === 0) {
      s.u16[sti] = s.u16[sti]! | ST_SAW_SYN;
      // The handshake RTT is timed from the last (re)transmitted SYN.
      if ((s.u16[sti]! & ST_RTT_KNOWN) === 0) s.f64[c * STRIDE64 + F_SYN_OR_RTT] = this.relTime(rec);
    }
    return df;
  }

  /** Called before the RST updates the record, so "last packet" still means the one before it. */
  private recordReset(c: number, d: number, p: DecodedTcp, rec: PacketRecord, seglen: number): void {
    const s = this.store;
    const frame = rec.frame;
    const t = this.relTime(rec);
    const lastDir = (s.h(c, H_STATE) & ST_LAST_DIR_B) !== 0 ? 1 : 0;
    const seen = s.w(c, W_PKTS) + s.w(c, W_PKTS + 1) > 1; // this RST is already counted
    const df = s.b(c, B_DIR_FLAGS + d);
    this.resets.push({
      conn: c,
      frame,
      time: t,
      dir: d,
      ttl: p.ttl,
      ipId: p.ipId,
      window: p.window,
      seq: p.seq,
      ack: p.ack,
      withAck: (p.flags & TCP_ACK) !== 0,
      hasTimestamps: p.hasTimestamps,
      payloadLen: seglen,
      expectedSeq: (df & D_NEXTSEQ_SET) !== 0 ? s.w(c, W_NEXT_SEQ + d) : null,
      senderLastIpId: (df & D_IPID_NONZERO) !== 0 ? s.h(c, H_LAST_IPID + d) : null,
      previous: seen ? this.previousPacket(c, lastDir) : null,
    });
  }

  /** The connection's last packet before a RST, with its idle time when it is in the event log. */
  private previousPacket(c: number, dir: number): NonNullable<ResetContext['previous']> {
    const s = this.store;
    const frame = s.w(c, W_LAST_FRAME_DIR + dir);
    let idleNs: number | null = null;
    if ((s.h(c, H_STATE) & ST_LAST_LOGGED) !== 0) {
      const i = this.events.indexOfRecentFrame(frame);
      if (i >= 0) idleNs = this.events.idleBefore(i);
    }
    return { frame, time: s.f(c, F_T_LAST), dir, kind: s.b(c, B_LAST_KIND), idleNs };
  }

  private setEnd(c: number, d: number, frame: number, kind: number): void {
    const s = this.store;
    s.u32[c * STRIDE32 + W_END_FRAME] = frame;
    s.u8[c * STRIDE8 + B_END_INFO] = kind | (d === 1 ? 0x80 : 0);
  }
}

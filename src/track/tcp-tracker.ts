import type { PacketRecord } from '../capture/packet-record.js';
import { DecodedTcp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/decoded-tcp.js';
import {
  ConnectionStore, D_FIN, D_KEEPALIVE, D_NEXTSEQ_SET, D_SACK_PERM, D_SYN_SEEN, D_TIMESTAMPS, D_ZWP,
  END_FIN, END_HALF_CLOSED, END_NO_ANSWER, END_OPEN, END_REJECTED, END_RESET,
  ST_ESTABLISHED, ST_IPV6, ST_LAST_DIR_B, ST_MIDSTREAM, ST_RESET, ST_RTT_KNOWN, ST_SAW_SYN, ST_SAW_SYNACK,
} from './connection-store.js';
import { EventLog } from './event-log.js';
import { FlowTable } from './flow-table.js';
import {
  K_ACK, K_DATA, K_FIN, K_KEEPALIVE, K_KEEPALIVE_ACK, K_RETRANSMISSION, K_RST, K_SYN, K_SYNACK, K_ZERO_WINDOW_PROBE,
} from './packet-kind.js';

/** Wireshark's GT_SEQ: a after b in 32-bit sequence space. */
function seqGt(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

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
    const t = (rec.tsSec - this.baseSec) * 1e9 + (rec.tsNsec - this.baseNsec);
    const s = this.store;
    const flags = p.flags;
    const isSyn = (flags & TCP_SYN) !== 0;
    const isAck = (flags & TCP_ACK) !== 0;
    const hash = FlowTable.hash(p.src, p.dst, p.srcPort, p.dstPort);
    let c = this.flows.find(hash, p.src, p.dst, p.srcPort, p.dstPort);
    let d = this.flows.lastDir;

    if (c < 0 || (isSyn && this.isNewIncarnation(c, d, p))) {
      c = this.open(hash, p, t, rec.frame);
      d = this.flows.lastDir;
    }

    const f = c * 2 + d; // forward direction column
    const r = c * 2 + (d ^ 1); // reverse direction column
    const seq = p.seq;
    const ack = p.ack;
    const seglen = p.payloadLen;
    const window = p.window;
    const isFin = (flags & TCP_FIN) !== 0;
    const isRst = (flags & TCP_RST) !== 0;
    const fFlags = s.dirFlags[f]!;
    const nextSeqSet = (fFlags & D_NEXTSEQ_SET) !== 0;
    const nextSeq = s.nextSeq[f]!;

    // --- Wireshark tcp_analyze_sequence_number(), the parts that decide our kinds ---
    let analysis = 0; // D_KEEPALIVE / D_ZWP for this segment
    let kind: number;
    let retrans = false;
    // Like Wireshark, a direction never seen counts as window 0.
    if (seglen === 1 && nextSeqSet && seq === nextSeq && s.win[r] === 0) {
      analysis = D_ZWP;
    } else {
      if (nextSeqSet && seqGt(seq, nextSeq) && !isRst) s.gaps[c]!++;
      if (seglen <= 1 && nextSeqSet && seq === ((nextSeq - 1) >>> 0) && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0) {
        analysis = D_KEEPALIVE;
      }
    }
    let keepaliveAck = false;
    if (
      analysis === 0 && seglen === 0 && window !== 0 && window === s.win[f] && nextSeqSet && seq === nextSeq &&
      ack === s.lastAck[f] && (s.dirFlags[r]! & D_KEEPALIVE) !== 0 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0
    ) {
      keepaliveAck = true;
    }
    if (analysis === 0 && !keepaliveAck && (seglen > 0 || isSyn || isFin) && nextSeqSet && seqLt(seq, nextSeq)) {
      // Data right after a zero-window probe starts one byte early and is new data, not a retransmission.
      if (!(seglen > 1 && seq === ((nextSeq - 1) >>> 0))) retrans = true;
    }

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
    if (seglen > 0 || isSyn || isFin) {
      const nxt = (seq + seglen + (isSyn || isFin ? 1 : 0)) >>> 0;
      if ((!nextSeqSet || seqGt(nxt, nextSeq)) && analysis !== D_ZWP) {
        s.nextSeq[f] = nxt;
        s.dirFlags[f] = s.dirFlags[f]! | D_NEXTSEQ_SET;
      }
    }
    s.win[f] = window;
    s.lastAck[f] = ack;
    s.dirFlags[f] = (s.dirFlags[f]! & ~(D_KEEPALIVE | D_ZWP)) | analysis;

    // --- counters ---
    s.pkts[f]!++;
    s.bytes[f]! += p.ipLen;
    s.payload[f]! += seglen;
    const ttl = p.ttl;
    if (s.pkts[f] === 1) s.ttlFirst[f] = ttl;
    if (ttl < s.ttlMin[f]!) s.ttlMin[f] = ttl;
    if (ttl > s.ttlMax[f]!) s.ttlMax[f] = ttl;
    switch (kind) {
      case K_KEEPALIVE:
        s.keepalives[f]!++;
        break;
      case K_KEEPALIVE_ACK:
        s.keepaliveAcks[f]!++;
        break;
      case K_RETRANSMISSION:
        s.retrans[f]!++;
        break;
      case K_ZERO_WINDOW_PROBE:
        s.zwps[f]!++;
        break;
      case K_RST:
        if (s.rsts[f]! < 0xffff) s.rsts[f]!++;
        break;
    }

    // --- connection state ---
    const st = s.state[c]!;
    if (isSyn) this.onSyn(c, f, d, isAck, p, t);
    else if (isAck && (st & ST_ESTABLISHED) === 0 && (st & ST_SAW_SYNACK) !== 0 && d === 0 && ack === ((s.isn[c * 2 + 1]! + 1) >>> 0)) {
      s.state[c] = s.state[c]! | ST_ESTABLISHED;
      if ((st & ST_SAW_SYN) !== 0) {
        s.synOrRtt[c] = t - s.synOrRtt[c]!;
        s.state[c] = s.state[c]! | ST_RTT_KNOWN;
      }
    }
    if (isFin && (s.dirFlags[f]! & D_FIN) === 0) {
      s.dirFlags[f] = s.dirFlags[f]! | D_FIN;
      if (s.fins[f]! < 0xffff) s.fins[f]!++;
      if ((s.dirFlags[r]! & D_FIN) === 0 && (st & ST_RESET) === 0) this.setEnd(c, d, rec.frame, t, END_HALF_CLOSED);
      else if ((st & ST_RESET) === 0) s.endInfo[c] = (s.endInfo[c]! & 0x80) | END_FIN;
    }
    if (isRst && (st & ST_RESET) === 0) {
      s.state[c] = s.state[c]! | ST_RESET;
      const ended = s.endInfo[c]! & 0x7f;
      // A RST after both FINs is a late answer, not what ended the connection.
      if (ended !== END_FIN) {
        // A RST from the server before any SYN-ACK is a refused connection, not a reset one.
        const refused = d === 1 && (st & (ST_SAW_SYNACK | ST_ESTABLISHED)) === 0 && (st & ST_SAW_SYN) !== 0;
        this.setEnd(c, d, rec.frame, t, refused ? END_REJECTED : END_RESET);
      }
    }

    // --- timing ---
    const idle = s.pkts[c * 2]! + s.pkts[c * 2 + 1]! > 1 ? t - s.tLast[c]! : 0;
    if (idle > s.maxIdle[c]!) {
      s.maxIdle[c] = idle;
      s.maxIdleFrame[c] = rec.frame;
    }
    s.tLast[c] = t;
    s.lastFrame[c] = rec.frame;
    s.state[c] = d === 1 ? s.state[c]! | ST_LAST_DIR_B : s.state[c]! & ~ST_LAST_DIR_B;
    s.lastKind[c] = kind;

    if ((kind !== K_DATA && kind !== K_ACK) || idle >= this.idleMarkNs) {
      this.events.append(c, rec.frame, t, kind, d, ttl, seglen, flags, p.ipId, window, seq, ack, p.hasTimestamps, idle);
    }

    this.lastConn = c;
    this.lastDir = d;
    this.lastTime = t;
    return kind;
  }

  /** How the connection ended, as an END_* code (settles SYN-only connections). */
  endKind(c: number): number {
    const s = this.store;
    const e = s.endInfo[c]! & 0x7f;
    if (e !== END_OPEN) return e;
    const st = s.state[c]!;
    if ((st & ST_SAW_SYN) !== 0 && (st & (ST_SAW_SYNACK | ST_ESTABLISHED)) === 0 && s.pkts[c * 2 + 1] === 0) return END_NO_ANSWER;
    return END_OPEN;
  }

  /**
   * A SYN on a known tuple starts a new connection (port reuse) when the old
   * one is over or the SYN carries a different initial sequence number.
   */
  private isNewIncarnation(c: number, d: number, p: DecodedTcp): boolean {
    const s = this.store;
    const st = s.state[c]!;
    const f = c * 2 + d;
    // A retransmitted SYN repeats its ISN; a different ISN is a new connection on the same ports.
    if ((s.dirFlags[f]! & D_SYN_SEEN) !== 0) return s.isn[f] !== p.seq;
    const ended = (st & ST_RESET) !== 0 || (s.dirFlags[c * 2]! & s.dirFlags[c * 2 + 1]! & D_FIN) !== 0;
    return (st & ST_MIDSTREAM) !== 0 || ended;
  }

  private open(hash: number, p: DecodedTcp, t: number, frame: number): number {
    const s = this.store;
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
    const a = c * 8;
    for (let k = 0; k < 4; k++) {
      s.addr[a + k] = srcIsClient ? p.src[k]! : p.dst[k]!;
      s.addr[a + 4 + k] = srcIsClient ? p.dst[k]! : p.src[k]!;
    }
    s.port[c * 2] = srcIsClient ? p.srcPort : p.dstPort;
    s.port[c * 2 + 1] = srcIsClient ? p.dstPort : p.srcPort;
    s.state[c] = st;
    s.firstFrame[c] = frame;
    s.tFirst[c] = t;
    s.tLast[c] = t;
    this.flows.assign(hash, c);
    this.flows.lastDir = srcIsClient ? 0 : 1;
    return c;
  }

  private onSyn(c: number, f: number, d: number, isAck: boolean, p: DecodedTcp, t: number): void {
    const s = this.store;
    s.isn[f] = p.seq;
    let df = s.dirFlags[f]! | D_SYN_SEEN;
    if (p.sackPerm) df |= D_SACK_PERM;
    if (p.hasTimestamps) df |= D_TIMESTAMPS;
    s.dirFlags[f] = df;
    if (p.mss >= 0) s.mss[f] = p.mss;
    if (p.wscale >= 0) s.wscale[f] = p.wscale > 14 ? 14 : p.wscale;
    if (isAck) {
      s.state[c] = s.state[c]! | ST_SAW_SYNACK;
    } else if (d === 0) {
      s.state[c] = s.state[c]! | ST_SAW_SYN;
      // The handshake RTT is timed from the last (re)transmitted SYN.
      if ((s.state[c]! & ST_RTT_KNOWN) === 0) s.synOrRtt[c] = t;
    }
  }

  private setEnd(c: number, d: number, frame: number, t: number, kind: number): void {
    const s = this.store;
    s.endFrame[c] = frame;
    s.endTime[c] = t;
    s.endInfo[c] = kind | (d === 1 ? 0x80 : 0);
  }
}

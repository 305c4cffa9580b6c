/**
 * Synthetic capture of a busy server, as seen by tcpdump running on the server:
 * many client connections interleaved in time, each with a handshake, request /
 * response rounds, idle periods with keepalive probes, the odd retransmission,
 * and an ending (FIN, RST, or still open when the capture stops).
 *
 * Connections are driven by an event heap keyed on time, so the file is in
 * strict timestamp order like a real capture, and the generator records what it
 * wrote (ground truth) so the bench can cross-check the analyzers.
 */
import {
  OPT_NONE,
  OPT_SYN,
  OPT_SYN_NOTS,
  OPT_TS,
  PcapWriter,
  Rng,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  SERVER_NET,
  clientEndpoint,
  newSegment,
} from './pcap-writer.js';

export interface BusyOptions {
  connections: number;
  seed: number;
  snaplen: number;
  /** Frames counted separately in the ground truth (the prefix that tshark gets). */
  prefixFrames: number;
}

export interface KindCounts {
  syn: number;
  synack: number;
  data: number;
  ack: number;
  keepalive: number;
  keepalive_ack: number;
  retransmission: number;
  fin: number;
  rst: number;
}

export interface BusyTruth {
  packets: number;
  bytes: number;
  connections: number;
  ipv6Connections: number;
  ended: { fin: number; reset: number; open: number };
  kinds: KindCounts;
  /** Keepalive probes and keepalive ACKs among the first `prefixFrames` frames. */
  prefix: { frames: number; bytes: number; keepalives: number; keepaliveAcks: number };
  firstTsUs: number;
  lastTsUs: number;
  seconds: number;
}

// Connection phases: what the connection sends next.
const PH_SYN = 0;
const PH_SYNACK = 1;
const PH_HS_ACK = 2;
const PH_REQ = 3;
const PH_RESP = 4;
const PH_RETRANS = 5;
const PH_RESP_ACK = 6;
const PH_KA = 7;
const PH_KA_ACK = 8;
const PH_FIN1 = 9;
const PH_FIN2 = 10;
const PH_FIN_ACK = 11;
const PH_RST = 12;

// Per-connection flag bits.
const F_V6 = 1;
const F_TS = 2;
const F_KA_SERVER = 4;
const F_KA_DEAD = 8; // keepalives go unanswered (peer or middlebox gone), then RST
const F_RETRANS = 16; // this round's last response segment is retransmitted
const END_SHIFT = 5; // 2 bits: END_*
const END_FIN = 0;
const END_RST_CLIENT = 1;
const END_RST_SERVER = 2;
const END_OPEN = 3;

const SERVER_PORTS = [443, 8443, 7443, 4443];
const BASE_SEC = 1_700_000_000;
const MSS_PAYLOAD = 1448;
const WIN_CLIENT = 2058;
const WIN_SERVER = 501;

/** Min-heap of (time µs, connection id) in typed arrays. */
class EventHeap {
  private readonly t: Float64Array;
  private readonly id: Int32Array;
  size = 0;
  constructor(cap: number) {
    this.t = new Float64Array(cap);
    this.id = new Int32Array(cap);
  }
  get minTime(): number {
    return this.size > 0 ? this.t[0]! : Infinity;
  }
  get minId(): number {
    const id = this.id[0];
    if (this.size === 0 || id === undefined) throw new Error('EventHeap.minId on an empty heap');
    return id;
  }
  // In push, popMin and siftDown every index read is below `size` (parent < i < size, c < n <= size),
  // and size never exceeds the capacity: the `!` reads below are in bounds.
  push(time: number, id: number): void {
    let i = this.size++;
    const t = this.t;
    const ids = this.id;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const tp = t[parent]!;
      if (tp <= time) break;
      t[i] = tp;
      ids[i] = ids[parent]!;
      i = parent;
    }
    t[i] = time;
    ids[i] = id;
  }
  /** Replace the minimum with a new event (cheaper than pop + push). */
  replaceMin(time: number, id: number): void {
    this.siftDown(time, id, this.size);
  }
  popMin(): void {
    const n = --this.size;
    if (n > 0) this.siftDown(this.t[n]!, this.id[n]!, n);
  }
  private siftDown(time: number, id: number, n: number): void {
    const t = this.t;
    const ids = this.id;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && t[c + 1]! < t[c]!) c++;
      const tc = t[c]!;
      if (tc >= time) break;
      t[i] = tc;
      ids[i] = ids[c]!;
      i = c;
    }
    t[i] = time;
    ids[i] = id;
  }
}

export function generateBusyCapture(path: string, o: BusyOptions): BusyTruth {
  const n = o.connections;
  const rng = new Rng(o.seed);
  const w = new PcapWriter(path, o.snaplen);
  const s = newSegment();

  const ph = new Uint8Array(n);
  const fl = new Uint8Array(n);
  const rounds = new Uint8Array(n);
  const kas = new Uint8Array(n);
  const segs = new Uint8Array(n);
  const cSeq = new Uint32Array(n);
  const sSeq = new Uint32Array(n);
  const cPort = new Uint16Array(n);
  const sIdx = new Uint8Array(n);
  const rtt = new Uint32Array(n);
  const cTsOff = new Uint32Array(n);
  const sTsOff = new Uint32Array(n);
  const cLastTs = new Uint32Array(n);
  const sLastTs = new Uint32Array(n);
  const lastLen = new Uint16Array(n);
  const lastSeq = new Uint32Array(n);
  const ipId = new Uint16Array(n * 2);

  const truth: BusyTruth = {
    packets: 0,
    bytes: 0,
    connections: n,
    ipv6Connections: 0,
    ended: { fin: 0, reset: 0, open: 0 },
    kinds: { syn: 0, synack: 0, data: 0, ack: 0, keepalive: 0, keepalive_ack: 0, retransmission: 0, fin: 0, rst: 0 },
    prefix: { frames: 0, bytes: 0, keepalives: 0, keepaliveAcks: 0 },
    firstTsUs: 0,
    lastTsUs: 0,
    seconds: 0,
  };
  const kinds = truth.kinds;

  const heap = new EventHeap(n);
  let nextArrival = 0;
  // ~460 new connections per second: with a minute or so of life each, tens of thousands are open at once.
  const arrivalMeanUs = 240e6 / n;
  let arrivalTime = BASE_SEC * 1e6;
  truth.firstTsUs = arrivalTime;

  const startConn = (id: number): void => {
    let f = 0;
    if (rng.next() < 0.1) {
      f |= F_V6;
      truth.ipv6Connections++;
    }
    if (rng.next() < 0.85) f |= F_TS;
    if (rng.next() < 0.2) f |= F_KA_SERVER;
    const e = rng.next();
    const end = e < 0.6 ? END_FIN : e < 0.75 ? END_RST_CLIENT : e < 0.85 ? END_RST_SERVER : END_OPEN;
    f |= end << END_SHIFT;
    // Half the resets follow unanswered keepalives, sent by the side that gives up probing.
    if (end !== END_FIN && end !== END_OPEN && rng.next() < 0.5) {
      f |= F_KA_DEAD;
      f = end === END_RST_SERVER ? f | F_KA_SERVER : f & ~F_KA_SERVER;
    }
    fl[id] = f;
    ph[id] = PH_SYN;
    rounds[id] = rng.int(2, 10);
    kas[id] = (f & F_KA_DEAD) !== 0 ? 3 : rng.int(0, 3);
    cSeq[id] = rng.u32();
    sSeq[id] = rng.u32();
    cPort[id] = clientEndpoint(id).port;
    sIdx[id] = rng.int(0, 3);
    rtt[id] = Math.floor(1000 + 120_000 * rng.next() * rng.next());
    cTsOff[id] = rng.u32();
    sTsOff[id] = rng.u32();
  };

  // The per-connection arrays hold n entries and every id passed to the closures below and
  // taken from the heap is below n (ids are admitted by startConn in order, 0 .. n - 1):
  // the `!` reads of those arrays are in bounds.

  /** Fill addresses/ports for direction c2s (client → server) or s2c. */
  const address = (id: number, c2s: boolean): void => {
    const f = fl[id]!;
    const si = sIdx[id]!;
    const port = cPort[id]!;
    // sIdx is drawn from 0 .. SERVER_PORTS.length - 1 in startConn.
    const serverPort = SERVER_PORTS[si]!;
    const v6 = (f & F_V6) !== 0;
    s.ipv6 = v6;
    const client = v6 ? id + 1 : clientEndpoint(id).addr;
    const server = v6 ? 1 + si : SERVER_NET + 1 + si;
    const cHi = v6 ? 0x02000000 : 0;
    if (c2s) {
      s.src = client;
      s.dst = server;
      s.src6hi = cHi;
      s.dst6hi = 0;
      s.sport = port;
      s.dport = serverPort;
      s.ttl = 64 - (id % 23) - 1;
      s.window = WIN_CLIENT;
    } else {
      s.src = server;
      s.dst = client;
      s.src6hi = 0;
      s.dst6hi = cHi;
      s.sport = serverPort;
      s.dport = port;
      s.ttl = 64;
      s.window = WIN_SERVER;
    }
    const k = id * 2 + (c2s ? 0 : 1);
    s.ipId = ipId[k]!++;
  };

  const timestamps = (id: number, c2s: boolean, nowUs: number, syn: boolean): void => {
    const useTs = (fl[id]! & F_TS) !== 0;
    if (syn) s.opts = useTs ? OPT_SYN : OPT_SYN_NOTS;
    else s.opts = useTs ? OPT_TS : OPT_NONE;
    if (!useTs) return;
    const ms = Math.floor(nowUs / 1000);
    if (c2s) {
      s.tsVal = (ms + cTsOff[id]!) >>> 0;
      s.tsEcr = ph[id] === PH_SYN ? 0 : sLastTs[id]!;
      cLastTs[id] = s.tsVal;
    } else {
      s.tsVal = (ms + sTsOff[id]!) >>> 0;
      s.tsEcr = cLastTs[id]!;
      sLastTs[id] = s.tsVal;
    }
  };

  /** After a completed exchange: another round, an idle period with keepalives, or the end. */
  const afterExchange = (id: number, nowUs: number): number => {
    const moreRounds = rounds[id]! > 0;
    const kaLeft = kas[id]!;
    if (moreRounds && (kaLeft === 0 || rng.next() < 0.7)) {
      ph[id] = PH_REQ;
      return nowUs + Math.floor(1000 + 3e6 * rng.next() * rng.next() * rng.next());
    }
    if (kaLeft > 0) {
      ph[id] = PH_KA;
      // Idle long enough for a keepalive timer (scaled down from Linux's 7200 s so the capture stays short).
      return nowUs + 20e6 + Math.floor(40e6 * rng.next());
    }
    return endConn(id, nowUs);
  };

  const endConn = (id: number, nowUs: number): number => {
    const end = fl[id]! >> END_SHIFT;
    if (end === END_OPEN) {
      truth.ended.open++;
      return -1;
    }
    ph[id] = end === END_FIN ? PH_FIN1 : PH_RST;
    return nowUs + Math.floor(1000 + 500_000 * rng.next());
  };

  const prefixFrames = o.prefixFrames;
  const countKind = (k: keyof KindCounts): void => {
    kinds[k]++;
    if (w.packets <= prefixFrames) {
      if (k === 'keepalive') truth.prefix.keepalives++;
      else if (k === 'keepalive_ack') truth.prefix.keepaliveAcks++;
    }
  };

  for (;;) {
    // Admit every connection whose SYN comes before the next scheduled packet.
    while (nextArrival < n && arrivalTime <= heap.minTime) {
      startConn(nextArrival);
      heap.push(arrivalTime, nextArrival);
      nextArrival++;
      arrivalTime += Math.floor(-Math.log(1 - rng.next()) * arrivalMeanUs) + 1;
    }
    if (heap.size === 0) break;
    const now = heap.minTime;
    const id = heap.minId;
    const f = fl[id]!;
    // Sequence numbers and RTT as they stand before this packet (each case writes its update back).
    const cs = cSeq[id]!;
    const ss = sSeq[id]!;
    const rt = rtt[id]!;
    s.tsSec = Math.floor(now / 1e6);
    s.tsUsec = now - s.tsSec * 1e6;
    s.payloadLen = 0;
    let next = -1;
    let kind: keyof KindCounts;
    let c2s: boolean;

    switch (ph[id]) {
      case PH_SYN:
        c2s = true;
        address(id, true);
        timestamps(id, true, now, true);
        s.seq = cs;
        s.ack = 0;
        s.flags = TCP_SYN;
        s.window = 64240;
        s.mss = 1460;
        s.wscale = 7;
        cSeq[id] = (cs + 1) >>> 0;
        kind = 'syn';
        ph[id] = PH_SYNACK;
        next = now + 20 + rng.int(0, 60);
        break;
      case PH_SYNACK:
        c2s = false;
        address(id, false);
        timestamps(id, false, now, true);
        s.seq = ss;
        s.ack = cs;
        s.flags = TCP_SYN | TCP_ACK;
        s.window = 65160;
        s.mss = 1460;
        s.wscale = 9;
        sSeq[id] = (ss + 1) >>> 0;
        kind = 'synack';
        ph[id] = PH_HS_ACK;
        next = now + rt;
        break;
      case PH_HS_ACK:
        c2s = true;
        address(id, true);
        timestamps(id, true, now, false);
        s.seq = cs;
        s.ack = ss;
        s.flags = TCP_ACK;
        kind = 'ack';
        ph[id] = PH_REQ;
        next = now + rng.int(0, 2000);
        break;
      case PH_REQ: {
        c2s = true;
        address(id, true);
        timestamps(id, true, now, false);
        const len = rng.int(60, 600);
        s.seq = cs;
        s.ack = ss;
        s.flags = TCP_PSH | TCP_ACK;
        s.payloadLen = len;
        cSeq[id] = (cs + len) >>> 0;
        rounds[id]!--;
        segs[id] = rng.next() < 0.7 ? 1 : rng.int(2, 3);
        if (rng.next() < 0.03) fl[id] = f | F_RETRANS;
        kind = 'data';
        ph[id] = PH_RESP;
        next = now + 50 + Math.floor(30_000 * rng.next() * rng.next());
        break;
      }
      case PH_RESP: {
        c2s = false;
        address(id, false);
        timestamps(id, false, now, false);
        const last = --segs[id]! === 0;
        const len = last ? rng.int(40, MSS_PAYLOAD) : MSS_PAYLOAD;
        s.seq = ss;
        s.ack = cs;
        s.flags = last ? TCP_PSH | TCP_ACK : TCP_ACK;
        s.payloadLen = len;
        lastSeq[id] = ss;
        lastLen[id] = len;
        sSeq[id] = (ss + len) >>> 0;
        kind = 'data';
        if (!last) next = now + rng.int(5, 50);
        else if ((f & F_RETRANS) !== 0) {
          ph[id] = PH_RETRANS;
          next = now + 200_000 + rng.int(0, 100_000);
        } else {
          ph[id] = PH_RESP_ACK;
          next = now + rt + rng.int(0, 40_000);
        }
        break;
      }
      case PH_RETRANS:
        c2s = false;
        address(id, false);
        timestamps(id, false, now, false);
        s.seq = lastSeq[id]!;
        s.ack = cs;
        s.flags = TCP_PSH | TCP_ACK;
        s.payloadLen = lastLen[id]!;
        fl[id] = f & ~F_RETRANS;
        kind = 'retransmission';
        ph[id] = PH_RESP_ACK;
        next = now + rt;
        break;
      case PH_RESP_ACK:
        c2s = true;
        address(id, true);
        timestamps(id, true, now, false);
        s.seq = cs;
        s.ack = ss;
        s.flags = TCP_ACK;
        kind = 'ack';
        next = afterExchange(id, now);
        break;
      case PH_KA: {
        // A keepalive probe re-sends the last byte already acknowledged: seq = snd_nxt - 1, no payload.
        const fromServer = (f & F_KA_SERVER) !== 0;
        c2s = !fromServer;
        address(id, c2s);
        timestamps(id, c2s, now, false);
        s.seq = ((c2s ? cs : ss) - 1) >>> 0;
        s.ack = c2s ? ss : cs;
        s.flags = TCP_ACK;
        kind = 'keepalive';
        kas[id]!--;
        if ((f & F_KA_DEAD) !== 0) {
          if (kas[id]! > 0)
            next = now + 10e6; // unanswered: probe again after the keepalive interval
          else {
            ph[id] = PH_RST;
            next = now + 10e6;
          }
        } else {
          ph[id] = PH_KA_ACK;
          next = now + (c2s ? rng.int(20, 80) : rt);
        }
        break;
      }
      case PH_KA_ACK: {
        const fromServer = (f & F_KA_SERVER) !== 0;
        c2s = fromServer;
        address(id, c2s);
        timestamps(id, c2s, now, false);
        s.seq = c2s ? cs : ss;
        s.ack = c2s ? ss : cs;
        s.flags = TCP_ACK;
        kind = 'keepalive_ack';
        next = afterExchange(id, now);
        break;
      }
      case PH_FIN1:
        c2s = true;
        address(id, true);
        timestamps(id, true, now, false);
        s.seq = cs;
        s.ack = ss;
        s.flags = TCP_FIN | TCP_ACK;
        cSeq[id] = (cs + 1) >>> 0;
        kind = 'fin';
        ph[id] = PH_FIN2;
        next = now + rng.int(30, 1000);
        break;
      case PH_FIN2:
        c2s = false;
        address(id, false);
        timestamps(id, false, now, false);
        s.seq = ss;
        s.ack = cs;
        s.flags = TCP_FIN | TCP_ACK;
        sSeq[id] = (ss + 1) >>> 0;
        kind = 'fin';
        ph[id] = PH_FIN_ACK;
        next = now + rt;
        break;
      case PH_FIN_ACK:
        c2s = true;
        address(id, true);
        timestamps(id, true, now, false);
        s.seq = cs;
        s.ack = ss;
        s.flags = TCP_ACK;
        kind = 'ack';
        truth.ended.fin++;
        break;
      case PH_RST:
      default: {
        c2s = f >> END_SHIFT !== END_RST_SERVER;
        address(id, c2s);
        s.opts = OPT_NONE;
        s.seq = c2s ? cs : ss;
        s.ack = c2s ? ss : cs;
        s.flags = TCP_RST | TCP_ACK;
        s.window = 0;
        kind = 'rst';
        truth.ended.reset++;
        break;
      }
    }
    w.write(s, c2s);
    countKind(kind);
    if (w.packets === prefixFrames) truth.prefix.bytes = w.offset;
    truth.lastTsUs = now;
    if (next >= 0) heap.replaceMin(next, id);
    else heap.popMin();
  }
  w.close();
  truth.packets = w.packets;
  truth.bytes = w.offset;
  truth.prefix.frames = Math.min(prefixFrames, w.packets);
  if (w.packets < prefixFrames) truth.prefix.bytes = w.offset;
  truth.seconds = (truth.lastTsUs - truth.firstTsUs) / 1e6;
  return truth;
}

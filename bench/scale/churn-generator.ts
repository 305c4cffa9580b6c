/**
 * The churn stream's traffic, packet by packet, deterministic from a seed:
 *
 * - short connections, 8 packets each (SYN, SYN-ACK, ACK, request, response,
 *   FIN each way with the ACKs folded in, last ACK), a few hundred in flight
 *   at once and picked at random so they interleave; every one has a new
 *   4-tuple (254 client addresses × 64 512 ports × 254 servers);
 * - a set of long-lived connections to one server that go idle: most send a
 *   TCP keepalive every `keepaliveS` (seq = next − 1, 0 or 1 byte) answered by
 *   an ACK; every `dyingEvery`-th stays silent instead, and when its client
 *   speaks after `deathIdleS` a middlebox answers with a forged RST that
 *   claims to come from the server (other TTL, IP ID 0, far faster than the
 *   server's RTT) and nothing follows. A dead one is replaced by a new
 *   connection a second later, so an endless stream keeps dying.
 *
 * So kad has short-connection churn to track and evict, and keepalives,
 * middlebox resets and an idle-timeout bracket (survived ≤ keepaliveS, died
 * at ≥ deathIdleS on the same server) to find. `truth` counts what was written.
 */
import {
  MAX_RECORD_BYTES,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  newFrameFields,
  writeFrame,
  type FrameFields,
} from './frame-template.js';

export interface ChurnOptions {
  /** Packets in all; Infinity = endless. */
  packets: number;
  /** Capture-time packets per second (timestamps advance by 1/rate per packet). */
  ratePps: number;
  /** Short connections in flight at once. */
  inFlight: number;
  /** Long-lived connections open at once. */
  longLived: number;
  /** Every n-th long-lived connection dies of a forged RST instead of keeping alive. */
  dyingEvery: number;
  keepaliveS: number;
  deathIdleS: number;
  seed: number;
  /** Keep the frame numbers of keepalives, their ACKs and forged RSTs (for tests; grows without bound). */
  recordFrames: boolean;
}

export const DEFAULT_CHURN: ChurnOptions = {
  packets: Infinity,
  ratePps: 200_000,
  inFlight: 256,
  longLived: 64,
  dyingEvery: 4,
  keepaliveS: 10,
  deathIdleS: 30,
  seed: 20261203,
  recordFrames: false,
};

export interface ChurnTruth {
  packets: number;
  /** Connections whose SYN was written (short, long-lived). */
  shortStarted: number;
  /** Short connections with both FINs written (kad: ended 'fin'). */
  shortClosed: number;
  longStarted: number;
  keepalives: number;
  keepaliveAcks: number;
  forgedRsts: number;
  /** Epoch seconds of the first and last packet. */
  firstS: number;
  lastS: number;
  keepaliveFrames: number[];
  keepaliveAckFrames: number[];
  rstFrames: number[];
}

/** First capture second: 2026-12-01T00:00:00Z. */
const BASE_US = 1_796_083_200 * 1e6;
const CLIENT_NET = 0xc0000200; // 192.0.2.0/24
const SHORT_SERVER_NET = 0xc6336400; // 198.51.100.0/24
const LONG_SERVER = 0xcb00710a; // 203.0.113.10
const SHORT_PORT = 443;
const LONG_PORT = 5432;
const HOSTS = 254;
const PORTS = 64512;
const REQ = 40;
const RESP = 200;
/** Client-side capture: the server's replies come one RTT later and 12 hops away. */
const RTT_US = 20_000;
const TTL_CLIENT = 64;
const TTL_SERVER = 52;
/** The middlebox is 3 hops away: its forged RST arrives with a TTL the server's packets never have. */
const TTL_MIDDLEBOX = 61;
const MIDDLEBOX_DELAY_US = 150;
const REOPEN_US = 1_000_000;

// Long-lived connection steps: what the connection sends next.
const L_SYN = 0;
const L_SYNACK = 1;
const L_ACK = 2;
const L_REQ = 3;
const L_RESP = 4;
const L_KEEPALIVE = 5;
const L_KEEPALIVE_ACK = 6;
const L_LATE_DATA = 7;
const L_FORGED_RST = 8;
const L_REOPEN = 9;

export class ChurnGenerator {
  readonly truth: ChurnTruth = {
    packets: 0,
    shortStarted: 0,
    shortClosed: 0,
    longStarted: 0,
    keepalives: 0,
    keepaliveAcks: 0,
    forgedRsts: 0,
    firstS: BASE_US / 1e6,
    lastS: BASE_US / 1e6,
    keepaliveFrames: [],
    keepaliveAckFrames: [],
    rstFrames: [],
  };
  private readonly o: ChurnOptions;
  private readonly f: FrameFields = newFrameFields();
  private readonly usPerPacket: number;
  private tUs = BASE_US;
  private rng: number;
  private ipIdC = 1;
  private ipIdS = 1;
  /** Tuples handed out so far (a connection counts as started only once its SYN is written). */
  private shortTuples = 0;
  private longTuples = 0;

  // Short connections, one slot each: phase 0..7, ISNs, tuple.
  private readonly phase: Uint8Array;
  private readonly cIsn: Uint32Array;
  private readonly sIsn: Uint32Array;
  private readonly cAddr: Uint32Array;
  private readonly cPort: Uint16Array;
  private readonly sAddr: Uint32Array;

  // Long-lived connections.
  private readonly lStep: Uint8Array;
  private readonly lAt: Float64Array;
  private readonly lCNext: Uint32Array;
  private readonly lSNext: Uint32Array;
  private readonly lAddr: Uint32Array;
  private readonly lPort: Uint16Array;
  private readonly lIdS: Uint16Array;
  private nextLongUs = Infinity;
  private lastLongUs = 0;

  constructor(opts: Partial<ChurnOptions> = {}) {
    this.o = { ...DEFAULT_CHURN, ...opts };
    this.usPerPacket = 1e6 / this.o.ratePps;
    this.rng = this.o.seed >>> 0 || 1;
    const n = this.o.inFlight;
    this.phase = new Uint8Array(n);
    this.cIsn = new Uint32Array(n);
    this.sIsn = new Uint32Array(n);
    this.cAddr = new Uint32Array(n);
    this.cPort = new Uint16Array(n);
    this.sAddr = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.startShort(i);
    const l = this.o.longLived;
    this.lStep = new Uint8Array(l);
    this.lAt = new Float64Array(l);
    this.lCNext = new Uint32Array(l);
    this.lSNext = new Uint32Array(l);
    this.lAddr = new Uint32Array(l);
    this.lPort = new Uint16Array(l);
    this.lIdS = new Uint16Array(l);
    // Opened over the first two capture seconds, so their keepalives and deaths are spread out.
    for (let j = 0; j < l; j++) this.openLong(j, BASE_US + ((j + 1) * 2e6) / (l + 1));
    this.findNextLong();
  }

  get done(): boolean {
    return this.truth.packets >= this.o.packets;
  }

  /**
   * Writes records into `chunk` from `at` until it is full or the stream is
   * done; returns where the written bytes end.
   */
  fill(chunk: Uint8Array, view: DataView, at: number): number {
    const limit = this.o.packets;
    const end = chunk.length - MAX_RECORD_BYTES;
    const t = this.truth;
    let p = at;
    while (p <= end && t.packets < limit) {
      if (this.nextLongUs <= this.tUs) p = this.longPacket(chunk, view, p);
      else {
        p = this.shortPacket(chunk, view, p);
        this.tUs += this.usPerPacket;
      }
    }
    t.lastS = Math.max(this.lastLongUs, this.tUs - this.usPerPacket) / 1e6;
    return p;
  }

  private random(): number {
    // xorshift32: a few instructions, and the stream depends only on the seed.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.rng = x >>> 0);
  }

  private startShort(i: number): void {
    const n = this.shortTuples++;
    const host = n % HOSTS;
    const rest = Math.floor(n / HOSTS);
    this.phase[i] = 0;
    this.cAddr[i] = CLIENT_NET + 1 + host;
    this.cPort[i] = 1024 + (rest % PORTS);
    this.sAddr[i] = SHORT_SERVER_NET + 1 + (Math.floor(rest / PORTS) % HOSTS);
    this.cIsn[i] = this.random();
    this.sIsn[i] = this.random();
  }

  private shortPacket(chunk: Uint8Array, view: DataView, at: number): number {
    const i = this.random() % this.o.inFlight;
    const ph = this.phase[i]!;
    const c = this.cIsn[i]!;
    const s = this.sIsn[i]!;
    const f = this.f;
    // The 8 packets: client sends 0, 2, 3, 5, 7; the server 1, 4, 6.
    const c2s = ph !== 1 && ph !== 4 && ph !== 6;
    f.tUs = this.tUs;
    f.payloadLen = 0;
    switch (ph) {
      case 0:
        this.set(f, TCP_SYN, c, 0);
        break;
      case 1:
        this.set(f, TCP_SYN | TCP_ACK, s, c + 1);
        break;
      case 2:
        this.set(f, TCP_ACK, c + 1, s + 1);
        break;
      case 3:
        this.set(f, TCP_PSH | TCP_ACK, c + 1, s + 1);
        f.payloadLen = REQ;
        break;
      case 4:
        this.set(f, TCP_PSH | TCP_ACK, s + 1, c + 1 + REQ);
        f.payloadLen = RESP;
        break;
      case 5:
        this.set(f, TCP_FIN | TCP_ACK, c + 1 + REQ, s + 1 + RESP);
        break;
      case 6:
        this.set(f, TCP_FIN | TCP_ACK, s + 1 + RESP, c + 2 + REQ);
        break;
      default:
        this.set(f, TCP_ACK, c + 2 + REQ, s + 2 + RESP);
    }
    this.endpoints(f, c2s, this.cAddr[i]!, this.cPort[i]!, this.sAddr[i]!, SHORT_PORT);
    f.ipId = c2s ? this.ipIdC++ : this.ipIdS++;
    const next = writeFrame(chunk, view, at, f);
    const t = this.truth;
    t.packets++;
    if (ph === 0) t.shortStarted++;
    else if (ph === 6) t.shortClosed++;
    if (ph === 7) this.startShort(i);
    else this.phase[i] = ph + 1;
    return next;
  }

  private set(f: FrameFields, flags: number, seq: number, ack: number): void {
    f.flags = flags;
    f.seq = seq;
    f.ack = ack;
  }

  private endpoints(f: FrameFields, c2s: boolean, client: number, cport: number, server: number, sport: number): void {
    f.c2s = c2s;
    f.src = c2s ? client : server;
    f.dst = c2s ? server : client;
    f.sport = c2s ? cport : sport;
    f.dport = c2s ? sport : cport;
    f.ttl = c2s ? TTL_CLIENT : TTL_SERVER;
    f.window = c2s ? 502 : 509;
  }

  private openLong(j: number, atUs: number): void {
    const n = this.longTuples++;
    this.lStep[j] = L_SYN;
    this.lAt[j] = atUs;
    this.lAddr[j] = CLIENT_NET + 1 + (n % HOSTS);
    // The same client ports as the short connections may recur: these go to another server, so the 4-tuples differ.
    this.lPort[j] = 1024 + (Math.floor(n / HOSTS) % PORTS);
    this.lCNext[j] = this.random();
    this.lSNext[j] = this.random();
    this.lIdS[j] = this.random() & 0xffff;
  }

  private findNextLong(): void {
    let min = Infinity;
    for (let j = 0; j < this.o.longLived; j++) if (this.lAt[j]! < min) min = this.lAt[j]!;
    this.nextLongUs = min;
  }

  private dying(j: number): boolean {
    return this.o.dyingEvery > 0 && j % this.o.dyingEvery === this.o.dyingEvery - 1;
  }

  /** The long-lived connection whose next packet is due, at exactly its time (never before the last packet written). */
  private longPacket(chunk: Uint8Array, view: DataView, at: number): number {
    let j = 0;
    while (this.lAt[j] !== this.nextLongUs) j++;
    const f = this.f;
    const t = this.truth;
    const now = this.lAt[j]!;
    const cNext = this.lCNext[j]!;
    const sNext = this.lSNext[j]!;
    const step = this.lStep[j]!;
    let c2s = true;
    let nextStep = step + 1;
    let nextAt = now;
    f.tUs = now;
    f.payloadLen = 0;
    switch (step) {
      case L_SYN:
        this.set(f, TCP_SYN, cNext, 0);
        t.longStarted++;
        this.lCNext[j] = cNext + 1;
        nextAt = now + RTT_US;
        break;
      case L_SYNACK:
        c2s = false;
        this.set(f, TCP_SYN | TCP_ACK, sNext, cNext);
        this.lSNext[j] = sNext + 1;
        nextAt = now + 40;
        break;
      case L_ACK:
        this.set(f, TCP_ACK, cNext, sNext);
        nextAt = now + 60;
        break;
      case L_REQ:
        this.set(f, TCP_PSH | TCP_ACK, cNext, sNext);
        f.payloadLen = REQ;
        this.lCNext[j] = cNext + REQ;
        nextAt = now + RTT_US;
        break;
      case L_RESP:
        c2s = false;
        this.set(f, TCP_PSH | TCP_ACK, sNext, cNext);
        f.payloadLen = RESP;
        this.lSNext[j] = sNext + RESP;
        // Spread the deaths a little, so the bracket's lower end is the shortest of several.
        nextStep = this.dying(j) ? L_LATE_DATA : L_KEEPALIVE;
        nextAt = this.dying(j) ? now + this.o.deathIdleS * 1e6 + (j % 8) * 100_000 : now + this.o.keepaliveS * 1e6;
        break;
      case L_KEEPALIVE:
        // seq = next − 1: one byte the server has already acknowledged (Linux sends 0 bytes, Windows 1).
        this.set(f, TCP_ACK, cNext - 1, sNext);
        f.payloadLen = j & 1;
        t.keepalives++;
        if (this.o.recordFrames) t.keepaliveFrames.push(t.packets + 1);
        nextAt = now + RTT_US;
        break;
      case L_KEEPALIVE_ACK:
        c2s = false;
        this.set(f, TCP_ACK, sNext, cNext);
        t.keepaliveAcks++;
        if (this.o.recordFrames) t.keepaliveAckFrames.push(t.packets + 1);
        nextStep = L_KEEPALIVE;
        nextAt = now + this.o.keepaliveS * 1e6 - RTT_US;
        break;
      case L_LATE_DATA:
        this.set(f, TCP_PSH | TCP_ACK, cNext, sNext);
        f.payloadLen = REQ;
        this.lCNext[j] = cNext + REQ;
        nextAt = now + MIDDLEBOX_DELAY_US;
        break;
      default:
        // L_FORGED_RST: in the server's name, in window, but not from the server.
        c2s = false;
        this.set(f, TCP_RST | TCP_ACK, sNext, cNext);
        t.forgedRsts++;
        if (this.o.recordFrames) t.rstFrames.push(t.packets + 1);
        nextStep = L_REOPEN;
        nextAt = now + REOPEN_US;
    }
    this.endpoints(f, c2s, this.lAddr[j]!, this.lPort[j]!, LONG_SERVER, LONG_PORT);
    if (c2s) f.ipId = this.ipIdC++;
    else if (step === L_FORGED_RST) {
      f.ttl = TTL_MIDDLEBOX;
      f.ipId = 0;
    } else f.ipId = this.lIdS[j] = this.lIdS[j]! + 1;
    const next = writeFrame(chunk, view, at, f);
    t.packets++;
    this.lastLongUs = now;
    if (nextStep === L_REOPEN) this.openLong(j, nextAt);
    else {
      this.lStep[j] = nextStep;
      this.lAt[j] = nextAt;
    }
    this.findNextLong();
    return next;
  }
}

import type { TcpSpec } from './capture-builder.js';

/**
 * Writes a TCP conversation packet by packet while keeping each side's
 * sequence state, so tests read like the scenario they describe
 * ("client sends 100 bytes, server keepalive, …") instead of raw numbers.
 */
export class TcpScript {
  readonly packets: TcpSpec[] = [];
  private t: bigint;
  private readonly snd = [0, 0]; // next sequence number to send, per side (0 client, 1 server)
  private readonly synSent = [false, false];
  ttl: [number, number] = [64, 64];
  win: [number, number] = [64240, 64240];
  /** Time between consecutive packets unless wait() says otherwise. */
  gapNs = 100_000n;
  /** Per-side IP ID counters (null: IP ID 0, as Linux's socketless packets). */
  ipIds: [number | null, number | null] = [null, null];
  /** Negotiate TCP timestamps in the handshake and carry them on every packet. */
  timestamps = false;

  constructor(
    readonly client: { addr: string; port: number },
    readonly server: { addr: string; port: number },
    isns: [number, number] = [1000, 5000],
    startNs = 1_700_000_000_000_000_000n,
    private readonly out: TcpSpec[] | null = null,
  ) {
    this.snd[0] = isns[0] >>> 0;
    this.snd[1] = isns[1] >>> 0;
    this.t = startNs;
  }

  /** Advance the clock. */
  wait(seconds: number): this {
    this.t += BigInt(Math.round(seconds * 1e9));
    return this;
  }

  private emit(side: 0 | 1, flags: string, seq: number, len: number, extra: Partial<TcpSpec> = {}): this {
    const from = side === 0 ? this.client : this.server;
    const to = side === 0 ? this.server : this.client;
    const id = this.ipIds[side];
    if (id !== null) this.ipIds[side] = (id + 1) & 0xffff;
    const tsv = Number((this.t / 1_000_000n) & 0xffffffffn);
    const spec: TcpSpec = {
      src: from.addr,
      dst: to.addr,
      sport: from.port,
      dport: to.port,
      seq: seq >>> 0,
      ack: flags.includes('A') ? this.snd[side ^ 1]! >>> 0 : 0,
      flags,
      payload: len,
      ttl: this.ttl[side],
      win: this.win[side],
      tsNs: this.t,
      ipId: id ?? 0,
      ...(this.timestamps ? { options: { ts: [tsv, tsv] as [number, number] } } : {}),
      ...extra,
    };
    this.packets.push(spec);
    this.out?.push(spec);
    this.t += this.gapNs;
    return this;
  }

  handshake(): this {
    return this.syn().synAck().ack(0);
  }

  private synOptions() {
    return { mss: 1460, sackPerm: true, wscale: 7, ...(this.timestamps ? { ts: [1, 0] as [number, number] } : {}) };
  }

  /** The client's SYN; again (a retransmission, same ISN) when it was sent already. */
  syn(extra: Partial<TcpSpec> = {}): this {
    if (this.synSent[0]) this.snd[0] = (this.snd[0]! - 1) >>> 0;
    this.synSent[0] = true;
    this.emit(0, 'S', this.snd[0]!, 0, { ack: 0, options: this.synOptions(), ...extra });
    this.snd[0] = (this.snd[0]! + 1) >>> 0;
    return this;
  }

  /** The server's SYN-ACK; again (a retransmission, same ISN) when it was sent already. */
  synAck(extra: Partial<TcpSpec> = {}): this {
    if (this.synSent[1]) this.snd[1] = (this.snd[1]! - 1) >>> 0;
    this.synSent[1] = true;
    this.emit(1, 'SA', this.snd[1]!, 0, { options: this.synOptions(), ...extra });
    this.snd[1] = (this.snd[1]! + 1) >>> 0;
    return this;
  }

  /** Any packet, sequence state untouched: for what no well-behaved side sends (a challenge ACK's numbers, a RST's ack). */
  raw(side: 0 | 1, flags: string, seq: number, ack: number, extra: Partial<TcpSpec> = {}): this {
    return this.emit(side, flags, seq, 0, { ack: ack >>> 0, ...extra });
  }

  /** Next sequence number side `side` would send. */
  nextSeq(side: 0 | 1): number {
    return this.snd[side]!;
  }

  send(side: 0 | 1, len: number): this {
    const seq = this.snd[side]!;
    this.snd[side] = (seq + len) >>> 0;
    return this.emit(side, 'PA', seq, len);
  }

  ack(side: 0 | 1): this {
    return this.emit(side, 'A', this.snd[side]!, 0);
  }

  /** Linux-style probe: seq = SND.NXT − 1, no payload (or one garbage byte, Windows-style). */
  keepalive(side: 0 | 1, len: 0 | 1 = 0): this {
    return this.emit(side, 'A', (this.snd[side]! - 1) >>> 0, len);
  }

  /** Resend `len` bytes that were already sent, ending at SND.NXT. */
  retransmit(side: 0 | 1, len: number): this {
    return this.emit(side, 'PA', (this.snd[side]! - len) >>> 0, len);
  }

  /** One byte at SND.NXT into a zero window (not advancing SND.NXT, as the stack would not yet). */
  zeroWindowProbe(side: 0 | 1): this {
    return this.emit(side, 'A', this.snd[side]!, 1);
  }

  fin(side: 0 | 1): this {
    const seq = this.snd[side]!;
    this.snd[side] = (seq + 1) >>> 0;
    return this.emit(side, 'FA', seq, 0);
  }

  rst(side: 0 | 1, opts: { withAck?: boolean; ttl?: number; ipId?: number; win?: number; seq?: number; timestamps?: boolean } = {}): this {
    const extra: Partial<TcpSpec> = { ttl: opts.ttl ?? this.ttl[side], ipId: opts.ipId ?? 0, win: opts.win ?? 0 };
    // A forged or socketless RST carries no options unless asked to.
    if (!opts.timestamps) extra.options = {};
    return this.emit(side, opts.withAck === false ? 'R' : 'RA', opts.seq ?? this.snd[side]!, 0, extra);
  }
}

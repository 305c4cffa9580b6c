import { CaptureError } from '../capture/capture-error.js';
import { newPacketRecord, type PacketHandler, type PacketRecord } from '../capture/packet-record.js';
import { readCapture } from '../capture/read-capture.js';
import { UserError } from '../model/errors.js';
import type { PacketFeed } from './packet-feed.js';

/** Timers the replay paces itself with; tests pass a fake one. */
export interface ReplayClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: ReplayClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ReplayOptions {
  /** Capture seconds per wall second; 0 = as fast as possible. */
  speed: number;
  clock?: ReplayClock;
  /** Name shown in the label (defaults to the path). */
  displayName?: string;
  /** Work done per turn of the event loop before keys and redraws get a chance (ms of wall time). */
  sliceMs?: number;
}

// setTimeout's limit is ~24.8 days; a long silence in the capture is waited out in steps.
const MAX_WAIT_MS = 60_000;

/**
 * The records of a capture held in memory as columns plus one byte arena:
 * about 30 bytes per packet on top of the captured bytes, no object per
 * packet. Replays are for captures that fit in memory; `kad analyze` streams.
 */
class RecordStore {
  count = 0;
  private cap = 1024;
  sec = new Float64Array(this.cap);
  nsec = new Uint32Array(this.cap);
  capLen = new Uint32Array(this.cap);
  origLen = new Uint32Array(this.cap);
  frame = new Uint32Array(this.cap);
  linkType = new Uint16Array(this.cap);
  iface = new Uint16Array(this.cap);
  offset = new Float64Array(this.cap);
  bytes = Buffer.alloc(1 << 16);
  used = 0;

  add(r: PacketRecord): void {
    if (this.count === this.cap) this.growRows();
    if (this.used + r.capLen > this.bytes.length) this.growBytes(this.used + r.capLen);
    const i = this.count++;
    this.sec[i] = r.tsSec;
    this.nsec[i] = r.tsNsec;
    this.capLen[i] = r.capLen;
    this.origLen[i] = r.origLen;
    this.frame[i] = r.frame;
    this.linkType[i] = r.linkType;
    this.iface[i] = r.interfaceId;
    this.offset[i] = this.used;
    r.buf.copy(this.bytes, this.used, r.offset, r.offset + r.capLen);
    this.used += r.capLen;
  }

  /** Seconds after record 0 (exact enough for pacing; delivery uses sec/nsec). */
  rel(i: number): number {
    return this.sec[i]! - this.sec[0]! + (this.nsec[i]! - this.nsec[0]!) / 1e9;
  }

  epoch(i: number): number {
    return this.sec[i]! + this.nsec[i]! / 1e9;
  }

  fill(i: number, rec: PacketRecord): void {
    rec.buf = this.bytes;
    rec.offset = this.offset[i]!;
    rec.capLen = this.capLen[i]!;
    rec.origLen = this.origLen[i]!;
    rec.tsSec = this.sec[i]!;
    rec.tsNsec = this.nsec[i]!;
    rec.linkType = this.linkType[i]!;
    rec.interfaceId = this.iface[i]!;
    rec.frame = this.frame[i]!;
    rec.fileOffset = 0;
  }

  private growRows(): void {
    this.cap *= 2;
    const g = <T extends Float64Array | Uint32Array | Uint16Array>(old: T, make: (n: number) => T): T => {
      const next = make(this.cap);
      next.set(old);
      return next;
    };
    this.sec = g(this.sec, (n) => new Float64Array(n));
    this.nsec = g(this.nsec, (n) => new Uint32Array(n));
    this.capLen = g(this.capLen, (n) => new Uint32Array(n));
    this.origLen = g(this.origLen, (n) => new Uint32Array(n));
    this.frame = g(this.frame, (n) => new Uint32Array(n));
    this.linkType = g(this.linkType, (n) => new Uint16Array(n));
    this.iface = g(this.iface, (n) => new Uint16Array(n));
    this.offset = g(this.offset, (n) => new Float64Array(n));
  }

  private growBytes(min: number): void {
    let n = this.bytes.length * 2;
    while (n < min) n *= 2;
    const next = Buffer.alloc(n);
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }
}

/**
 * Replays a capture file as if it were live: packets are delivered when
 * their own timestamps, divided by `speed`, come due on the wall clock.
 * The whole file is read into memory first (load()), so pacing is a matter
 * of timers over an array: one timer per wait, never a busy loop. Pausing
 * stops the virtual clock; a capture cut short is replayed up to the
 * damage and then reported through start()'s rejection.
 */
export class ReplayFeed implements PacketFeed {
  readonly label: string;
  private readonly clock: ReplayClock;
  private readonly store = new RecordStore();
  private readonly rec = newPacketRecord();
  private loaded: Promise<void> | null = null;
  private loadError: CaptureError | null = null;
  private dropsReported: number | null = null;
  private next = 0;
  private onPacket: PacketHandler | null = null;
  private timer: unknown = null;
  private finish: (() => void) | null = null;
  private startedAt = 0;
  private pausedAt: number | null = null;
  private pausedTotal = 0;
  private stopped = false;

  constructor(
    readonly path: string,
    private readonly opts: ReplayOptions,
  ) {
    if (!(opts.speed >= 0) || !Number.isFinite(opts.speed))
      throw new RangeError(`replay speed must be a finite number ≥ 0, not ${opts.speed}`);
    this.clock = opts.clock ?? realClock;
    const name = opts.displayName ?? path;
    this.label = `replay ${name} ${opts.speed === 0 ? 'at max speed' : `at ${opts.speed}×`}`;
  }

  /**
   * Reads the file into memory. Rejects with a UserError when nothing could
   * be read; a file damaged part-way keeps what came before.
   */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      try {
        const summary = await readCapture(this.path, (r) => this.store.add(r), { displayName: this.opts.displayName });
        this.dropsReported = summary.dropsReported;
      } catch (err) {
        if (!(err instanceof CaptureError)) throw err;
        if (this.store.count === 0) throw new UserError(err.message);
        this.loadError = err;
      }
    })();
    return this.loaded;
  }

  get total(): number {
    return this.store.count;
  }

  get delivered(): number {
    return this.next;
  }

  async start(onPacket: PacketHandler): Promise<void> {
    await this.load();
    if (this.stopped) return;
    this.onPacket = onPacket;
    this.startedAt = this.clock.now();
    if (this.pausedAt !== null) this.pausedAt = this.startedAt;
    await new Promise<void>((resolve) => {
      this.finish = resolve;
      this.pump();
    });
    if (this.loadError && !this.stopped)
      throw new UserError(`${this.loadError.message} (replayed the ${this.store.count} packets before it)`);
  }

  stop(): void {
    this.stopped = true;
    this.end();
  }

  setPaused(paused: boolean): void {
    if (paused === (this.pausedAt !== null)) return;
    const now = this.clock.now();
    if (paused) {
      this.pausedAt = now;
      this.cancelTimer();
    } else {
      this.pausedTotal += now - this.pausedAt!;
      this.pausedAt = null;
      if (this.onPacket) this.pump();
    }
  }

  drops(): number | null {
    return this.dropsReported;
  }

  /** Capture seconds elapsed since the first packet, as the replay has reached them. */
  virtualTime(): number {
    if (this.onPacket === null) return 0;
    if (this.finish === null && this.next >= this.store.count) return this.store.count ? this.store.rel(this.store.count - 1) : 0;
    if (this.opts.speed === 0) return this.next > 0 ? this.store.rel(this.next - 1) : 0;
    const wall = (this.pausedAt ?? this.clock.now()) - this.startedAt - this.pausedTotal;
    return (wall / 1000) * this.opts.speed;
  }

  /** The capture's clock at this moment of the replay (epoch s), for idle times between packets. */
  captureNowEpochS(): number | null {
    if (this.store.count === 0) return null;
    const last = this.store.rel(this.store.count - 1);
    return this.store.epoch(0) + Math.min(this.virtualTime(), last);
  }

  private pump = (): void => {
    this.timer = null;
    if (this.stopped || this.pausedAt !== null || this.onPacket === null) return;
    const s = this.store;
    const deliver = this.onPacket;
    const due = this.opts.speed === 0 ? Number.POSITIVE_INFINITY : this.virtualTime();
    const t0 = this.clock.now();
    const slice = this.opts.sliceMs ?? 20;
    let n = 0;
    while (this.next < s.count && s.rel(this.next) <= due) {
      s.fill(this.next, this.rec);
      this.next++;
      deliver(this.rec);
      // Yield now and then so that keys and redraws are not starved by a burst.
      if ((++n & 255) === 0 && this.clock.now() - t0 >= slice) {
        this.timer = this.clock.setTimer(this.pump, 0);
        return;
      }
      if (this.stopped || this.pausedAt !== null) return;
    }
    if (this.next >= s.count) {
      this.end();
      return;
    }
    const waitMs = ((s.rel(this.next) - due) / this.opts.speed) * 1000;
    this.timer = this.clock.setTimer(this.pump, Math.min(MAX_WAIT_MS, Math.max(0, waitMs)));
  };

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private end(): void {
    this.cancelTimer();
    const f = this.finish;
    this.finish = null;
    f?.();
  }
}

import { closeLiveCapture, defaultRouteInterface, openLiveCapture, type CapModule, type LiveCapture } from '../capture/live-cap.js';
import { newPacketRecord, WIRE_LENGTH_UNKNOWN, type PacketHandler } from '../capture/packet-record.js';
import { linkPackets } from './link-counters.js';
import type { PacketFeed } from './packet-feed.js';

export interface CapFeedOptions {
  /** Interface name or 'any'; default: the interface of the default route. */
  device?: string;
  /** BPF filter; default 'tcp'. */
  filter?: string;
  snaplen?: number;
  bufferSize?: number;
  /** Named in error messages; default 'kad live'. */
  command?: string;
  /** Injected in tests; default: the real cap module. */
  capModule?: CapModule;
}

export const DEFAULT_FILTER = 'tcp';
/** Whole frames, like libpcap's own snaplen in cap; the analysis needs only headers, so 256 also works. */
export const DEFAULT_SNAPLEN = 65535;
export const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024;

/** Picks the capture interface the way the help says: the default route's, else 'any'. */
export function chooseDevice(device: string | undefined, procRoot = '/proc'): { device: string; why: string | null } {
  if (device) return { device, why: null };
  const dev = defaultRouteInterface(procRoot);
  return dev ? { device: dev, why: 'default route' } : { device: 'any', why: 'no default route' };
}

/**
 * A PacketFeed over a live libpcap capture. cap polls on the main loop and
 * gives each packet as (nbytes) in one shared Buffer: the feed stamps it,
 * fills the one reused PacketRecord and hands it on synchronously.
 */
export class CapFeed implements PacketFeed {
  readonly label: string;
  readonly arrivalTimestamps = true;
  readonly device: string;
  private readonly filter: string;
  private readonly snaplen: number;
  private readonly bufferSize: number;
  private readonly capModule: CapModule | undefined;
  private readonly command: string | undefined;
  /** Holds the capture Buffer for the life of the feed (cap keeps only a raw pointer to it). */
  private capture: LiveCapture | null = null;
  private readonly rec = newPacketRecord();
  private finish: ((err?: Error) => void) | null = null;
  private stopped = false;
  /** The link's packet counters when the capture started (null: not an interface with counters). */
  private linkAtStart: number | null = null;

  constructor(opts: CapFeedOptions = {}) {
    const { device, why } = chooseDevice(opts.device);
    this.device = device;
    this.filter = opts.filter ?? DEFAULT_FILTER;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.bufferSize = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
    this.capModule = opts.capModule;
    this.command = opts.command;
    this.label = `${device}${why ? ` (${why})` : ''}, libpcap via cap, arrival timestamps${this.filter ? `, filter "${this.filter}"` : ''}`;
  }

  /**
   * Opens the capture now, so that permission and filter errors (and cap's
   * own stderr warnings) come out before any TUI owns the terminal.
   * Throws UserError. Idempotent.
   */
  open(): LiveCapture {
    this.capture ??= openLiveCapture(
      { device: this.device, filter: this.filter, snaplen: this.snaplen, bufferSize: this.bufferSize, command: this.command },
      this.capModule,
    );
    this.rec.buf = this.capture.buffer;
    this.rec.linkType = this.capture.linkType;
    return this.capture;
  }

  get linkType(): number | null {
    return this.capture?.linkType ?? null;
  }

  start(onPacket: PacketHandler): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const capture = this.open();
    const rec = this.rec;
    // One anchor for the whole capture: wall time can step (NTP), the monotonic clock cannot.
    const anchorMs = Date.now();
    const anchorSec = Math.floor(anchorMs / 1000);
    const anchorNsec = (anchorMs % 1000) * 1_000_000;
    const hr0 = process.hrtime.bigint();
    this.linkAtStart = linkPackets(this.device);
    return new Promise<void>((resolve, reject) => {
      this.finish = (err) => {
        this.finish = null;
        closeLiveCapture(capture);
        if (err) reject(err);
        else resolve();
      };
      capture.cap.on('packet', (nbytes: number) => {
        const ns = anchorNsec + Number(process.hrtime.bigint() - hr0);
        rec.tsSec = anchorSec + Math.floor(ns / 1e9);
        rec.tsNsec = ns % 1e9;
        rec.capLen = nbytes;
        // cap drops the on-the-wire length: a frame shorter than the snaplen was whole, one that filled it may not have been.
        rec.origLen = nbytes < this.snaplen ? nbytes : WIRE_LENGTH_UNKNOWN;
        rec.frame++;
        try {
          onPacket(rec);
        } catch (err) {
          // Thrown through cap's native emit it would be an uncaught exception.
          this.finish?.(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.finish) this.finish();
    else if (this.capture) closeLiveCapture(this.capture);
  }

  /** cap exposes no pcap_stats: losses show only as sequence holes (capture gaps), and as missedAtMost. */
  drops(): number | null {
    return null;
  }

  /** The link's packets since the capture started, less those delivered: an upper bound of what cap lost. */
  missedAtMost(): number | null {
    if (this.linkAtStart === null) return null;
    const now = linkPackets(this.device);
    return now === null ? null : Math.max(0, now - this.linkAtStart - this.rec.frame);
  }
}

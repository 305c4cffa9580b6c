import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CaptureError } from '../capture/capture-error.js';
import type { PacketHandler } from '../capture/packet-record.js';
import { readCaptureStream } from '../capture/read-capture.js';
import { EXIT, UserError } from '../model/errors.js';
import { chooseDevice, DEFAULT_BUFFER_SIZE, DEFAULT_FILTER, DEFAULT_SNAPLEN } from './cap-feed.js';
import type { PacketFeed } from './packet-feed.js';

export interface TcpdumpFeedOptions {
  /** Interface name or 'any'; default: the interface of the default route. */
  device?: string;
  filter?: string;
  snaplen?: number;
  bufferSize?: number;
  /** The tcpdump binary; default 'tcpdump' from PATH. */
  tcpdump?: string;
}

/** How often tcpdump is asked for its counters (SIGUSR1 makes it print pcap_stats and go on). */
const STATS_EVERY_MS = 1000;
/** After SIGINT, how long tcpdump may take to flush and report before it is killed. */
const EXIT_GRACE_MS = 3000;

/** tcpdump's counters line: "tcpdump: 5 packets captured, 7 packets received by filter, 2 packets dropped by kernel". */
const DROPPED_BY_KERNEL = /(\d+) packets? dropped by kernel/;

/**
 * A live capture through a tcpdump child (`--capture-with tcpdump`): the
 * kernel's timestamps, libpcap's ring buffer drained by a process of its
 * own, and pcap_stats' drop count, which cap does not expose. tcpdump writes
 * a pcap stream (-U -w -) that kad reads as it would stdin; every second
 * SIGUSR1 makes it report its counters on stderr. The child is ended by its
 * PID on every exit path.
 */
export class TcpdumpFeed implements PacketFeed {
  readonly label: string;
  readonly device: string;
  private readonly args: string[];
  private readonly bin: string;
  private child: ChildProcess | null = null;
  private stopped = false;
  private kernelDrops: number | null = null;
  /** What tcpdump said on stderr that was not its counters (for the one-line error when it fails). */
  private complaint: string | null = null;

  constructor(opts: TcpdumpFeedOptions = {}) {
    const { device, why } = chooseDevice(opts.device);
    this.device = device;
    const filter = opts.filter ?? DEFAULT_FILTER;
    this.bin = opts.tcpdump ?? 'tcpdump';
    // -B is in KiB; --immediate-mode hands packets over as they come instead of when the buffer fills.
    this.args = ['-i', device, '-n', '-U', '--immediate-mode', '-s', String(opts.snaplen ?? DEFAULT_SNAPLEN)];
    this.args.push('-B', String(Math.ceil((opts.bufferSize ?? DEFAULT_BUFFER_SIZE) / 1024)), '-w', '-');
    if (filter) this.args.push(filter);
    this.label = `${device}${why ? ` (${why})` : ''}, tcpdump, kernel timestamps${filter ? `, filter "${filter}"` : ''}`;
  }

  async start(onPacket: PacketHandler): Promise<void> {
    if (this.stopped) return;
    const child = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const failedToStart = new Promise<never>((_, reject) =>
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new UserError(
            err.code === 'ENOENT'
              ? `${this.bin} not found: install it (apt-get install tcpdump) or capture with --capture-with cap`
              : `cannot start ${this.bin}: ${err.message}`,
            EXIT.unavailable,
          ),
        ),
      ),
    );
    createInterface({ input: child.stderr }).on('line', (line) => this.heard(line));
    const stats = setInterval(() => child.pid !== undefined && child.exitCode === null && child.kill('SIGUSR1'), STATS_EVERY_MS);
    let packets = 0;
    const guarded: PacketHandler = (rec) => {
      packets++;
      if (!this.stopped) onPacket(rec);
    };
    try {
      await Promise.race([
        readCaptureStream(child.stdout, guarded, { displayName: 'tcpdump' }).catch((err: unknown) => {
          // A tcpdump that could not open the interface writes no stream: its own words explain it better.
          if (err instanceof CaptureError && packets === 0) return;
          if (err instanceof CaptureError && !this.stopped) throw new UserError(err.message);
          if (!(err instanceof CaptureError)) throw err;
        }),
        failedToStart,
      ]);
      const code = await exited;
      if (!this.stopped && code !== 0 && code !== null) {
        throw new UserError(`tcpdump on ${this.device} failed (exit ${code})${this.complaint ? `: ${this.complaint}` : ''}`);
      }
    } finally {
      clearInterval(stats);
      this.end(child);
    }
  }

  /** One line of tcpdump's stderr: its counters, or what went wrong. */
  private heard(line: string): void {
    const dropped = DROPPED_BY_KERNEL.exec(line);
    if (dropped) {
      this.kernelDrops = Number(dropped[1]);
      return;
    }
    if (/^tcpdump: (listening on|data link type)/.test(line) || /packets? (captured|received by filter)$/.test(line)) return;
    this.complaint ??= line.replace(/^tcpdump: /, '');
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child) this.end(this.child);
  }

  /** SIGINT by PID (tcpdump flushes and prints its final counters), then SIGKILL if it lingers. */
  private end(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGINT');
    const hard = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, EXIT_GRACE_MS);
    hard.unref();
    child.once('close', () => clearTimeout(hard));
  }

  /** libpcap's own drop count (pcap_stats ps_drop), as tcpdump last reported it. */
  drops(): number | null {
    return this.kernelDrops;
  }
}

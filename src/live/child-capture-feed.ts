import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CaptureError } from '../capture/capture-error.js';
import type { PacketHandler } from '../capture/packet-record.js';
import { readCaptureStream } from '../capture/read-capture.js';
import { EXIT, UserError } from '../model/errors.js';
import { chooseDevice } from './cap-feed.js';
import type { CaptureChildTool } from './capture-tools.js';
import type { PacketFeed } from './packet-feed.js';

/** After SIGINT, how long the child may take to flush and report before it is killed. */
const EXIT_GRACE_MS = 3000;
/** How often a child that reports on request (tcpdump's SIGUSR1) is asked for its counters. */
const STATS_EVERY_MS = 1000;

/**
 * A live capture through a child process (`--capture-with tcpdump` or
 * `kad-capture`): the kernel's timestamps, libpcap's ring drained by a
 * process of its own, and pcap_stats' drop count, which cap does not
 * expose. The child writes a pcap stream that kad reads as it would stdin
 * and reports its counters on stderr. It is ended by its PID on every exit
 * path.
 */
export class ChildCaptureFeed implements PacketFeed {
  readonly label: string;
  readonly device: string;
  private readonly tool: CaptureChildTool;
  private child: ChildProcess | null = null;
  private stopped = false;
  private kernelDrops: number | null = null;
  /** What the child said on stderr that was not its counters (for the one-line error when it fails). */
  private complaint: string | null = null;

  /** makeTool: the child for the device chooseDevice picked (the default route's, else 'any'). */
  constructor(device: string | undefined, makeTool: (device: string) => CaptureChildTool) {
    const chosen = chooseDevice(device);
    this.device = chosen.device;
    this.tool = makeTool(this.device);
    const filter = this.tool.filter;
    this.label = `${this.device}${chosen.why ? ` (${chosen.why})` : ''}, ${this.tool.name}, kernel timestamps${filter ? `, filter "${filter}"` : ''}`;
  }

  async start(onPacket: PacketHandler): Promise<void> {
    if (this.stopped) return;
    const { bin, args, name } = this.tool;
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const failedToStart = new Promise<never>((_, reject) =>
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(new UserError(err.code === 'ENOENT' ? this.tool.notFound : `cannot start ${bin}: ${err.message}`, EXIT.unavailable)),
      ),
    );
    createInterface({ input: child.stderr }).on('line', (line) => this.heard(line));
    const signal = this.tool.statsSignal;
    const stats =
      signal === null ? null : setInterval(() => child.pid !== undefined && child.exitCode === null && child.kill(signal), STATS_EVERY_MS);
    let packets = 0;
    const guarded: PacketHandler = (rec) => {
      packets++;
      if (!this.stopped) onPacket(rec);
    };
    try {
      await Promise.race([
        readCaptureStream(child.stdout, guarded, { displayName: name }).catch((err: unknown) => {
          // A child that could not open the interface writes no stream: its own words explain it better.
          if (err instanceof CaptureError && packets === 0) return;
          if (err instanceof CaptureError && !this.stopped) throw new UserError(err.message);
          if (!(err instanceof CaptureError)) throw err;
        }),
        failedToStart,
      ]);
      const code = await exited;
      if (!this.stopped && code !== 0 && code !== null) {
        throw new UserError(`${name} on ${this.device} failed (exit ${code})${this.complaint ? `: ${this.complaint}` : ''}`);
      }
    } finally {
      if (stats) clearInterval(stats);
      this.end(child);
    }
  }

  /** One line of the child's stderr: its counters, or what went wrong. */
  private heard(line: string): void {
    const dropped = this.tool.drops(line);
    if (dropped !== null) {
      this.kernelDrops = dropped;
      return;
    }
    if (this.tool.chatter(line)) return;
    this.complaint ??= line.startsWith(this.tool.prefix) ? line.slice(this.tool.prefix.length) : line;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child) this.end(this.child);
  }

  /** SIGINT by PID (the child flushes and prints its final counters), then SIGKILL if it lingers. */
  private end(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGINT');
    const hard = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, EXIT_GRACE_MS);
    hard.unref();
    child.once('close', () => clearTimeout(hard));
  }

  /** libpcap's own drop count (pcap_stats), as the child last reported it. */
  drops(): number | null {
    return this.kernelDrops;
  }
}

import { ReadStopped } from './child-stream.js';

/**
 * Reads of the socket table are never taken closer together than this many
 * times the last one's duration: at 10^5–10^6 sockets a read costs seconds
 * of CPU, and a table re-read back to back would leave none for the capture.
 */
export const SLOWDOWN = 3;

/**
 * One socket-table refresh at a time, for every command that re-reads the
 * table (kad watch --sockets, kad live). A refresh that comes due while one
 * is in flight is skipped and counted; the interval between refreshes grows
 * with the table (SLOWDOWN × the last refresh); stop() kills an in-flight
 * reader's child at once, so Ctrl-C returns promptly.
 */
export class RefreshGate {
  /** Refreshes that came due while one was in flight. */
  skipped = 0;
  /** Duration of the last completed refresh, ms. */
  lastMs: number | null = null;
  private inFlight: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private lastStart = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The least time between two refreshes' starts, as of the last one. */
  get intervalMs(): number {
    return Math.max(this.minIntervalMs, SLOWDOWN * (this.lastMs ?? 0));
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  /**
   * Starts `job` if it is time to and none is running; true when it started.
   * The job's errors go to `onError` (ReadStopped, after stop(), is silent).
   */
  run(job: (signal: AbortSignal) => Promise<void>, onError: (err: unknown) => void): boolean {
    if (this.stopped) return false;
    if (this.inFlight !== null) {
      this.skipped++;
      return false;
    }
    const start = this.now();
    // Let a little timer jitter through: a refresh due "now" at the interval must not wait a whole extra tick.
    if (start - this.lastStart < this.intervalMs * 0.95) return false;
    this.lastStart = start;
    const abort = new AbortController();
    this.abort = abort;
    this.inFlight = job(abort.signal)
      .then(() => {
        this.lastMs = this.now() - start;
      })
      .catch((err: unknown) => {
        if (!(err instanceof ReadStopped)) onError(err);
      })
      .finally(() => {
        this.inFlight = null;
        this.abort = null;
      });
    return true;
  }

  /** No more refreshes; the one in flight is stopped (its reader child killed) and awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.inFlight;
  }
}

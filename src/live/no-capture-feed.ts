import type { PacketFeed } from './packet-feed.js';

/**
 * `--kernel --no-capture`: a feed with no packets, for a server too busy to
 * capture. The live model still refreshes (socket table, kernel events) until
 * stop().
 */
export class NoCaptureFeed implements PacketFeed {
  readonly label = 'no capture (--no-capture: socket table and kernel events only)';
  private done: (() => void) | null = null;

  start(): Promise<void> {
    return new Promise((resolve) => (this.done = resolve));
  }

  stop(): void {
    this.done?.();
  }

  drops(): number | null {
    return 0;
  }
}

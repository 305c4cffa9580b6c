import type { EventLog } from '../track/event-log.js';
import type { TcpTracker } from '../track/tcp-tracker.js';

/**
 * Event-log indexes grouped by connection (a counting sort the tracker runs
 * in WebAssembly), so per-connection diagnosis does not rescan the whole log.
 */
export class ConnectionEvents {
  readonly log: EventLog;
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  constructor(tracker: TcpTracker) {
    this.log = tracker.events;
    const { start, order } = tracker.eventGroups();
    this.start = start;
    this.order = order;
  }

  /** Event indexes of connection c, in capture order. */
  of(c: number): Int32Array {
    return this.order.subarray(this.start[c]!, this.start[c + 1]!);
  }

  /** Position in `order` of connection c's first event; its events end at first(c + 1). */
  first(c: number): number {
    return this.start[c]!;
  }

  /** The event index at position j of `order` (see first()). */
  at(j: number): number {
    return this.order[j]!;
  }
}

import type { EventLog } from '../track/event-log.js';
import * as ev from '../track/event-log.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones (see tcp-tracker.ts).
const { E_CONN, E_STRIDE32 } = ev;

/**
 * Event-log indexes grouped by connection (a counting sort: two passes, two
 * typed arrays), so per-connection diagnosis does not rescan the whole log.
 */
export class ConnectionEvents {
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  constructor(readonly log: EventLog, connections: number) {
    // The log's views directly: these two passes run over every event, once, before anything is warm.
    const u32 = log.u32;
    const n = log.count;
    const count = new Int32Array(connections + 1);
    for (let i = 0; i < n; i++) count[u32[i * E_STRIDE32 + E_CONN]! + 1]!++;
    for (let c = 0; c < connections; c++) count[c + 1]! += count[c]!;
    this.start = count;
    this.order = new Int32Array(n);
    const fill = count.slice(0, connections);
    for (let i = 0; i < n; i++) this.order[fill[u32[i * E_STRIDE32 + E_CONN]!]!++] = i;
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

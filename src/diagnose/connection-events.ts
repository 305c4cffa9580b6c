import type { EventLog } from '../track/event-log.js';

/**
 * Event-log indexes grouped by connection (a counting sort: two passes, two
 * typed arrays), so per-connection diagnosis does not rescan the whole log.
 */
export class ConnectionEvents {
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  constructor(readonly log: EventLog, connections: number) {
    const count = new Int32Array(connections + 1);
    for (let i = 0; i < log.count; i++) count[log.conn[i]! + 1]!++;
    for (let c = 0; c < connections; c++) count[c + 1]! += count[c]!;
    this.start = count;
    this.order = new Int32Array(log.count);
    const fill = count.slice(0, connections);
    for (let i = 0; i < log.count; i++) this.order[fill[log.conn[i]!]!++] = i;
  }

  /** Event indexes of connection c, in capture order. */
  of(c: number): Int32Array {
    return this.order.subarray(this.start[c]!, this.start[c + 1]!);
  }
}

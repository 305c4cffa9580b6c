import type { ConnectionReport } from '../model/analysis-report.js';
import { connectionReport } from '../report/build-file-report.js';
import type { TcpTracker } from '../track/tcp-tracker.js';

/**
 * The held connections' reports, rebuilt only for connections that had a
 * packet since the last refresh: a report is a function of its record, and
 * a record changes only when a packet comes. A refresh costs a check per
 * connection and a report per connection that changed.
 */
export class ReportCache {
  private reports: ConnectionReport[] = [];
  /** Packets (both directions) each report was built at. */
  private builtAt = new Float64Array(0);

  /** Every held connection's report, in index order (a new array; the reports are shared). */
  refresh(tracker: TcpTracker): ConnectionReport[] {
    const store = tracker.store;
    const n = tracker.connectionCount;
    if (this.builtAt.length < n) {
      const grown = new Float64Array(Math.max(n, this.builtAt.length * 2));
      grown.set(this.builtAt);
      this.builtAt = grown;
    }
    for (let c = 0; c < n; c++) {
      const packets = store.packets(c, 0) + store.packets(c, 1);
      if (c < this.reports.length && this.builtAt[c] === packets) continue;
      this.reports[c] = connectionReport(tracker, c);
      this.builtAt[c] = packets;
    }
    this.reports.length = n;
    return this.reports.slice();
  }

  /** The tracker forgot connections and moved the rest down (TcpTracker.compact's result). */
  remap(remap: Int32Array): void {
    let kept = 0;
    for (let c = 0; c < remap.length && c < this.reports.length; c++) {
      const to = remap[c]!;
      if (to < 0) continue;
      this.reports[to] = this.reports[c]!;
      this.builtAt[to] = this.builtAt[c]!;
      kept = to + 1;
    }
    this.reports.length = kept;
  }
}

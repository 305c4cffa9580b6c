import type { ConnectionReport } from '../model/analysis-report.js';
import { connectionReport } from '../report/build-file-report.js';
import type { TcpTracker } from '../track/tcp-tracker.js';

/**
 * The held connections' reports, built when asked for and rebuilt only for
 * connections that had a packet since: a report is a function of its
 * record, and a record changes only when a packet comes. A refresh costs a
 * check per connection and a report per connection that changed.
 */
export class ReportCache {
  private reports: (ConnectionReport | null)[] = [];
  /** Packets (both directions) each report was built at. */
  private builtAt = new Float64Array(0);

  /** The held connections' reports in index order, all of them or only the open ones (a new array; the reports are shared). */
  refresh(tracker: TcpTracker, which: 'all' | 'open'): ConnectionReport[] {
    const store = tracker.store;
    const n = tracker.connectionCount;
    if (this.builtAt.length < n) {
      const grown = new Float64Array(Math.max(n, this.builtAt.length * 2));
      grown.set(this.builtAt);
      this.builtAt = grown;
    }
    while (this.reports.length < n) this.reports.push(null);
    this.reports.length = n;
    const out: ConnectionReport[] = [];
    for (let c = 0; c < n; c++) {
      if (which === 'open' && store.endKind(c) !== 'open') continue;
      // A frame captured twice changes only its duplicates count: it must rebuild the report too.
      const packets = store.packets(c, 0) + store.packets(c, 1) + store.duplicates(c);
      let r = this.reports[c]!;
      if (r === null || this.builtAt[c] !== packets) {
        r = connectionReport(tracker, c);
        this.reports[c] = r;
        this.builtAt[c] = packets;
      }
      out.push(r);
    }
    return out;
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
    this.reports.length = Math.min(kept, this.reports.length);
  }
}

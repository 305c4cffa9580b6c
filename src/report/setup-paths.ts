import type { PathSetup, SetupFailureKind } from '../model/analysis-report.js';

interface Entry {
  setup: PathSetup;
  /** Number of the path's first connection with set-up trouble: paths are listed in that order. */
  firstId: number;
}

/**
 * SYN and SYN-ACK retransmissions and set-up failures summed per path. Only
 * connections with some set-up trouble are added (a busy capture's 100 k
 * clean handshakes cost nothing here), and tallies add up across eviction.
 */
export class SetupPathTally {
  private readonly byPath = new Map<string, Entry>();

  add(path: string, id: number, synRetransmissions: number, synAckRetransmissions: number, failure: SetupFailureKind | null): void {
    let e = this.byPath.get(path);
    if (e === undefined) {
      e = { setup: { path, synRetransmissions: 0, synAckRetransmissions: 0, failures: {} }, firstId: id };
      this.byPath.set(path, e);
    } else if (id < e.firstId) e.firstId = id;
    e.setup.synRetransmissions += synRetransmissions;
    e.setup.synAckRetransmissions += synAckRetransmissions;
    if (failure !== null) e.setup.failures[failure] = (e.setup.failures[failure] ?? 0) + 1;
  }

  merge(other: SetupPathTally): this {
    for (const o of other.byPath.values()) {
      this.add(o.setup.path, o.firstId, o.setup.synRetransmissions, o.setup.synAckRetransmissions, null);
      const failures = this.byPath.get(o.setup.path)!.setup.failures;
      for (const [kind, n] of Object.entries(o.setup.failures) as [SetupFailureKind, number][]) failures[kind] = (failures[kind] ?? 0) + n;
    }
    return this;
  }

  paths(): PathSetup[] {
    return [...this.byPath.values()].sort((a, b) => a.firstId - b.firstId).map((e) => ({ ...e.setup, failures: { ...e.setup.failures } }));
  }
}

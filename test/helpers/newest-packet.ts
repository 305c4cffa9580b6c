import type { ConnectionReport } from '../../src/model/analysis-report.js';

/**
 * A hand-built LiveSnapshot's newestPacketS: the newest packet among its
 * connections, epoch seconds (-Infinity for none). The live model reads it
 * from the tracker; fixtures have only reports.
 */
export function newestPacketS(connections: readonly ConnectionReport[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const c of connections) newest = Math.max(newest, Number(c.end));
  return newest;
}

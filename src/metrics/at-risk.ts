import type { IdleTimeoutInference } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import type { LiveSnapshot } from '../live/live-model.js';

/**
 * A connection counts as at risk once its silence reaches this share of the
 * shortest idle that already killed a flow on the same path: early enough
 * for an alert to fire before the middlebox forgets it.
 */
export const RISK_FRACTION = 0.8;

/**
 * Open connections that are black-holed already (a silent drop is under way)
 * or whose idle time approaches the idle timeout inferred for their path.
 * `captureNowS` is "now" on the capture's clock (epoch seconds), so replays
 * and live captures are judged alike.
 */
export function connectionsAtRisk(snap: Pick<LiveSnapshot, 'connections' | 'diagnoses' | 'idleTimeouts'>, captureNowS: number): number {
  const dropped = new Set(snap.diagnoses.filter((d) => d.silentDrop !== null).map((d) => d.conn));
  const dies = new Map<string, number>();
  for (const t of snap.idleTimeouts) if (t.diedMinS !== null) dies.set(t.path, riskThresholdS(t));
  let n = 0;
  for (const c of snap.connections) {
    if (c.ended.kind !== 'open') continue;
    if (dropped.has(c.id)) {
      n++;
      continue;
    }
    const threshold = dies.get(endpointText(c.server));
    if (threshold !== undefined && captureNowS - Number(c.end) >= threshold) n++;
  }
  return n;
}

function riskThresholdS(t: IdleTimeoutInference): number {
  return RISK_FRACTION * (t.diedMinS ?? Infinity);
}

/**
 * "Now" on the capture's clock: the newest packet time, moved on by the wall
 * time since that packet was first seen. A quiet live capture thus keeps
 * ageing its idle connections, and a replay is not judged by today's date.
 */
export class CaptureClock {
  private captureS = -Infinity;
  private wallMs = 0;

  observe(snap: Pick<LiveSnapshot, 'connections' | 'at'>): number {
    let newest = -Infinity;
    for (const c of snap.connections) newest = Math.max(newest, Number(c.end));
    if (newest > this.captureS) {
      this.captureS = newest;
      this.wallMs = snap.at;
    }
    return this.captureS + Math.max(0, snap.at - this.wallMs) / 1000;
  }
}

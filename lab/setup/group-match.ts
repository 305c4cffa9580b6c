/** Which connections of a capture or an analysis belong to a set-up group of the ground truth. */
import { canonicalAddr } from '../verify/check.js';
import type { SetupGroup } from './setup-truth.js';

/** Slack between the lab's clock reading and the first packet's capture timestamp. */
const FROM_SLACK_MS = 50;

/** A connection, by its client endpoint, server port and first packet (epoch ms). */
export function inGroup(g: SetupGroup, client: { addr: string; port: number }, serverPort: number, firstMs: number): boolean {
  if (canonicalAddr(client.addr) !== canonicalAddr(g.client) || serverPort !== g.server.port) return false;
  if (g.ports !== null && !g.ports.includes(client.port)) return false;
  return g.fromMs === null || firstMs >= g.fromMs - FROM_SLACK_MS;
}

export function inRange(v: number | null | undefined, r: { min: number; max: number }): boolean {
  return typeof v === 'number' && v >= r.min && v <= r.max;
}

export function rangeText(r: { min: number; max: number }): string {
  if (r.min === r.max) return String(r.min);
  return r.max >= Number.MAX_SAFE_INTEGER ? `≥ ${r.min}` : `${r.min}..${r.max}`;
}

/**
 * Durations and counts as operators type them on the command line.
 * Seconds are the unit everywhere else in the recommender, because that is
 * the granularity of TCP_KEEPIDLE/TCP_KEEPINTVL.
 */

import { durationText } from '../util/time-text.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * "350", "350s", "4m", "1h", "1m30s", "2.5m" → seconds; null when malformed.
 * "ms" is rejected on purpose: keepalive timers have 1 s granularity and a
 * millisecond value is almost always a unit mistake.
 */
export function parseDurationSeconds(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const part = /(\d+(?:\.\d+)?)([hms])/g;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(t); m !== null; m = part.exec(t)) {
    if (m.index !== consumed) return null;
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? NaN);
    consumed = part.lastIndex;
  }
  return consumed === t.length ? total : null;
}

/** "100000", "100k", "1.5M" → integer; null when malformed. */
export function parseCount(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) return null;
  const suffix = (m[2] ?? '').toLowerCase();
  const scale = suffix === '' ? 1 : suffix === 'k' ? 1e3 : 1e6;
  const n = Number(m[1]) * scale;
  return Number.isInteger(n) ? n : null;
}

/** "45 s", "280 s (4 min 40 s)", "7200 s (2 h)": the seconds a setting takes, then how long that is. */
export function formatSeconds(seconds: number): string {
  const s = Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1);
  if (seconds < 120) return `${s} s`;
  return `${s} s (${durationText(seconds)})`;
}

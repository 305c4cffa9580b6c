import { UserError } from '../model/errors.js';
import { parseDurationSeconds } from '../recommend/duration.js';
import type { Precision } from './bisection.js';
import type { ProbeSettings } from './run-probe.js';
import { parseTarget } from './target.js';
import { decisionAllowanceS } from './trial.js';

/** The command line as commander hands it over (strings, unvalidated). */
export interface ProbeCliOptions {
  min: string;
  max: string;
  precision: string;
  connections: string;
  force?: boolean;
  maxTime: string;
  allowData?: boolean;
  capture: boolean;
  captureInterface: string;
}

export const DEFAULTS = { min: '5s', max: '20m', precision: '10s', connections: '4', maxTime: '30m', captureInterface: 'any' } as const;
/** More parallel connections than this looks like a scan from the server's side; --force is the user saying it is not. */
export const CONNECTIONS_WITHOUT_FORCE = 16;
export const CONNECTIONS_HARD_LIMIT = 128;
/** Linux's largest TCP_KEEPIDLE. */
const MAX_KEEPIDLE_S = 32767;

export function probeSettings(targetText: string, o: ProbeCliOptions): ProbeSettings {
  const target = parseTarget(targetText);
  const method = o.allowData ? 'data' : 'keepalive';
  const minS = duration('--min', o.min);
  const maxS = duration('--max', o.max);
  const maxTimeS = duration('--max-time', o.maxTime);
  if (method === 'keepalive') {
    for (const [flag, v] of [
      ['--min', minS],
      ['--max', maxS],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new UserError(`${flag} must be whole seconds ≥ 1 for keepalive probes (TCP_KEEPIDLE has 1 s steps), got ${v} s`);
    }
    if (maxS > MAX_KEEPIDLE_S)
      throw new UserError(`--max must be at most ${MAX_KEEPIDLE_S} s (Linux's largest TCP_KEEPIDLE), got ${maxS} s`);
  } else if (minS < 0.1) {
    throw new UserError(`--min must be at least 0.1 s, got ${minS} s`);
  }
  if (minS >= maxS) throw new UserError(`--min (${minS} s) must be below --max (${maxS} s)`);
  const precision = parsePrecision(o.precision);
  const connections = count(o.connections);
  if (connections > CONNECTIONS_HARD_LIMIT)
    throw new UserError(`--connections ${connections} is more than the probe ever opens (${CONNECTIONS_HARD_LIMIT})`);
  if (connections > CONNECTIONS_WITHOUT_FORCE && !o.force) {
    throw new UserError(
      `--connections ${connections} is more than ${CONNECTIONS_WITHOUT_FORCE}; add --force if the server's owner is fine with that many idle connections`,
    );
  }
  const needS = minS + decisionAllowanceS(method);
  if (maxTimeS < needS)
    throw new UserError(
      `--max-time ${maxTimeS} s is too short to test even --min (${minS} s idle + up to ${decisionAllowanceS(method)} s to decide)`,
    );
  return { target, method, minS, maxS, precision, connections, maxTimeS, capture: o.capture, captureInterface: o.captureInterface };
}

function duration(flag: string, text: string): number {
  const s = parseDurationSeconds(text);
  if (s === null || s <= 0) throw new UserError(`${flag} wants a duration such as 30, 30s, 5m, 1m30s; got "${text}"`);
  return s;
}

/** "10s", "10", "1m" (absolute width) or "5%" (of the upper bound). */
export function parsePrecision(text: string): Precision {
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (pct) {
    const v = Number(pct[1]) / 100;
    if (v <= 0 || v >= 1) throw new UserError(`--precision as a share must be between 0% and 100%, got "${text}"`);
    return { kind: 'fraction', value: v };
  }
  const s = parseDurationSeconds(text);
  if (s === null || s <= 0) throw new UserError(`--precision wants a duration (10s, 1m) or a share of the timeout (5%); got "${text}"`);
  return { kind: 'seconds', value: s };
}

function count(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new UserError(`--connections wants a whole number ≥ 1, got "${text}"`);
  return Number(text);
}

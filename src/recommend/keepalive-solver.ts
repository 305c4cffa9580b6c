import { RecommendInputError } from './recommend-input-error.js';

/**
 * Sizing rule (reference notes §4):
 *
 *   KEEPIDLE + m·KEEPINTVL + ε ≤ T_path
 *
 * The (m+1)-th probe must still reach the middlebox before it forgets the
 * flow, even when the m probes before it were lost. Linux measures idle from
 * the last *received* segment while middleboxes refresh on traffic in either
 * direction, so the rule is conservative.
 */

export interface KeepaliveSetting {
  timeS: number;
  intervalS: number;
  probes: number;
}

export interface SolverInput {
  pathTimeoutS: number;
  toleratedLosses: number;
  detectWithinS: number | null;
}

export type LimitedBy = 'path-timeout' | 'detection-target' | 'kernel-default';

export interface KeepaliveSolution {
  keepalive: KeepaliveSetting;
  userTimeoutMs: number;
  pathTimeoutS: number;
  slackS: number;
  toleratedLosses: number;
  /** When the last probe that must get through is sent: KEEPIDLE + m·KEEPINTVL. */
  lastNeededProbeS: number;
  /** Dead-peer detection on an idle connection: KEEPIDLE + KEEPCNT·KEEPINTVL. */
  detectionS: number;
  detectWithinS: number | null;
  limitedBy: LimitedBy;
}

/**
 * Consecutive lost probes a setting survives unless told otherwise (kad
 * recommend --tolerate-losses, and every analysis report's recommendation):
 * two is the most that Redis's fixed three probes tolerate (redis-keepalive.ts),
 * so by default every runtime snippet meets the same bound.
 */
export const DEFAULT_TOLERATED_LOSSES = 2;

/** Linux's own default; a path that tolerates it needs nothing longer. */
export const LINUX_DEFAULT: KeepaliveSetting = { timeS: 7200, intervalS: 75, probes: 9 };
/** TCP_KEEPCNT maximum in include/net/tcp.h. */
const MAX_KEEPCNT = 127;
const INTERVAL_LADDER = [1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 75];

/**
 * ε covers timer slack, clock drift between host and middlebox, and the
 * probe's one-way trip: 5 % of the timeout, at least 1 s (the timer
 * granularity) and at most 10 s (beyond that it only wastes probes).
 */
export function slackFor(pathTimeoutS: number): number {
  return Math.min(10, Math.max(1, Math.ceil(pathTimeoutS * 0.05)));
}

/**
 * Probes sent after the middlebox has forgotten the flow are wasted (the
 * flow is gone: RST or silence either way), so m+1 suffices; RFC 1122 forbids
 * declaring a peer dead on a single unanswered probe, hence at least 2.
 */
export function probesFor(toleratedLosses: number): number {
  return Math.max(2, toleratedLosses + 1);
}

/** Round down to numbers an operator recognises; rounding down keeps every bound satisfied. */
export function niceFloor(seconds: number): number {
  if (seconds >= 600) return Math.floor(seconds / 60) * 60;
  if (seconds >= 120) return Math.floor(seconds / 10) * 10;
  if (seconds >= 30) return Math.floor(seconds / 5) * 5;
  return Math.floor(seconds);
}

function ladderFloor(seconds: number): number {
  let best = 1; // the ladder's first step: a 1 s interval is always possible
  for (const step of INTERVAL_LADDER) if (step <= seconds) best = step;
  return best;
}

export function solveKeepalive(input: SolverInput): KeepaliveSolution {
  const { pathTimeoutS: T, toleratedLosses: m, detectWithinS: D } = input;
  if (!Number.isFinite(T) || T <= 0) throw new RecommendInputError(`idle timeout must be a positive duration, got ${T}`);
  if (!Number.isInteger(m) || m < 0 || m > MAX_KEEPCNT - 1) {
    throw new RecommendInputError(`--tolerate-losses must be an integer from 0 to ${MAX_KEEPCNT - 1}, got ${m}`);
  }
  if (D !== null && (!Number.isFinite(D) || D <= 0)) throw new RecommendInputError(`--detect-within must be a positive duration, got ${D}`);

  const slackS = slackFor(T);
  const budget = Math.floor(T - slackS);
  const probes = probesFor(m);
  if (budget - m < 1) {
    throw new RecommendInputError(infeasiblePathMessage(T, m, slackS));
  }
  if (D !== null && D < 1 + probes) {
    throw new RecommendInputError(
      `cannot detect a dead peer within ${D} s while tolerating ${m} lost probe(s): the fastest is ` +
        `KEEPIDLE 1 s + ${probes} probes × 1 s = ${1 + probes} s; lower --tolerate-losses or raise --detect-within`,
    );
  }

  // A tenth of the span leaves most of it to the idle time (fewest probes on
  // healthy connections) while retries still land well inside the window.
  const span = D === null ? budget : Math.min(budget, D);
  let intervalS = Math.min(75, ladderFloor(Math.max(1, Math.round(span / 10))));
  let idle = idleFor(budget, D, m, probes, intervalS);
  if (idle < 1) {
    intervalS = 1;
    idle = idleFor(budget, D, m, probes, intervalS);
  }
  const byPath = budget - m * intervalS;
  let limitedBy: LimitedBy = D !== null && D - probes * intervalS < byPath ? 'detection-target' : 'path-timeout';
  let timeS = niceFloor(idle);
  if (timeS >= LINUX_DEFAULT.timeS) {
    timeS = LINUX_DEFAULT.timeS;
    limitedBy = 'kernel-default';
  }

  const detectionS = timeS + probes * intervalS;
  return {
    keepalive: { timeS, intervalS, probes },
    // Matching the keepalive give-up time keeps both mechanisms in agreement
    // on idle sockets, and also bounds unacknowledged data, which otherwise
    // retransmits for tcp_retries2 (~15 min) on a black-holed path.
    userTimeoutMs: detectionS * 1000,
    pathTimeoutS: T,
    slackS,
    toleratedLosses: m,
    lastNeededProbeS: timeS + m * intervalS,
    detectionS,
    detectWithinS: D,
    limitedBy,
  };
}

function idleFor(budget: number, D: number | null, m: number, probes: number, intervalS: number): number {
  const byPath = budget - m * intervalS;
  return D === null ? byPath : Math.min(byPath, D - probes * intervalS);
}

function infeasiblePathMessage(T: number, m: number, slackS: number): string {
  const needed = 1 + m + slackS;
  const base =
    `an idle timeout of ${T} s is too short for TCP keepalive with ${m} tolerated lost probe(s): ` +
    `it needs KEEPIDLE ≥ 1 s + ${m} × KEEPINTVL ≥ 1 s + ${slackS} s slack = ${needed} s`;
  const maxLosses = Math.floor(T - slackS) - 1;
  if (maxLosses >= 0) return `${base}; use --tolerate-losses ${maxLosses} or raise the middlebox timeout`;
  return `${base}; keepalive has 1 s granularity, so send application data instead or raise the middlebox timeout`;
}

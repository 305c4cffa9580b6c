import type { MiddleboxPreset, ExpiryBehaviour, Evidence, Layer } from './presets.js';
import {
  constraintFromInference,
  constraintFromPreset,
  constraintFromTimeout,
  summarizePath,
  type PathConstraint,
} from './path-constraints.js';
import { solveKeepalive, niceFloor, type KeepaliveSetting, type KeepaliveSolution, type LimitedBy } from './keepalive-solver.js';
import { probeCost, type ProbeCost } from './probe-cost.js';
import { jitterFor, type JitterAdvice } from './jitter.js';
import { sysctlFile, type SysctlFile } from './sysctl-file.js';
import { redisKeepaliveFor } from './redis-keepalive.js';
import { buildSnippets, type Snippet } from './runtime-snippets.js';
import { formatSeconds } from './duration.js';

export interface RecommendInput {
  idleTimeoutsS: number[];
  /** Timeouts inferred from captures (--from): the value sized against, its path, and what the captures showed. */
  inferred?: Array<{ timeoutS: number; path: string; from: string }>;
  presets: MiddleboxPreset[];
  toleratedLosses: number;
  detectWithinS: number | null;
  connections: ConnectionCount | null;
}

export interface ConnectionCount {
  count: number;
  source: 'flag' | 'socket-table';
}

export interface HopView {
  label: string;
  name: string;
  idleTimeoutS: number | null;
  layer: Layer;
  expiry: ExpiryBehaviour | null;
  source: string;
  /** A preset's evidence; 'inferred' for a timeout read from captures. */
  evidence: Evidence | 'inferred';
}

export interface L7Warning {
  label: string;
  idleTimeoutS: number | null;
  /** Longest gap between application payload bytes that keeps the proxy's connection. */
  heartbeatEveryS: number | null;
  message: string;
}

export interface Recommendation {
  keepalive: KeepaliveSetting;
  userTimeoutMs: number;
  pathTimeoutS: number;
  detectionS: number;
  slackS: number;
  toleratedLosses: number;
  lastNeededProbeS: number;
  detectWithinS: number | null;
  limitedBy: LimitedBy;
  governing: HopView;
  path: HopView[];
  reasoning: string[];
  jitter: JitterAdvice;
  sysctl: SysctlFile;
  snippets: Snippet[];
  l7Warnings: L7Warning[];
  warnings: string[];
  cost: (ProbeCost & { connectionsSource: ConnectionCount['source'] }) | null;
}

export function recommend(input: RecommendInput): Recommendation {
  const constraints = [
    ...input.idleTimeoutsS.map(constraintFromTimeout),
    ...(input.inferred ?? []).map((i) => constraintFromInference(i.timeoutS, i.path, i.from)),
    ...input.presets.map(constraintFromPreset),
  ];
  const path = summarizePath(constraints);
  const T = path.governing.idleTimeoutS as number;
  const sol = solveKeepalive({ pathTimeoutS: T, toleratedLosses: input.toleratedLosses, detectWithinS: input.detectWithinS });
  const { timeS } = sol.keepalive;
  const governing = hopView(path.governing);
  const redis = redisKeepaliveFor(Math.floor(T - sol.slackS), sol.toleratedLosses, sol.detectWithinS);

  return {
    ...sol,
    governing,
    path: constraints.map(hopView),
    reasoning: explain(sol, governing, constraints),
    jitter: jitterFor(timeS),
    sysctl: sysctlFile(sol.keepalive, `${governing.label}, idle timeout ${T} s`, sol.toleratedLosses),
    snippets: buildSnippets(sol, redis),
    l7Warnings: path.l7.map((c) => l7Warning(c, timeS)),
    warnings: warningsFor(governing, constraints, sol.userTimeoutMs),
    cost: input.connections === null ? null : { ...probeCost(input.connections.count, timeS), connectionsSource: input.connections.source },
  };
}

function hopView(c: PathConstraint): HopView {
  const p = c.preset;
  if (c.origin === 'inferred') {
    return {
      label: c.label,
      name: 'idle timeout inferred from the captures',
      idleTimeoutS: c.idleTimeoutS,
      layer: c.layer,
      expiry: null,
      source: `captures (--from): ${c.inferredFrom ?? ''}`,
      evidence: 'inferred',
    };
  }
  return {
    label: c.label,
    name: p ? p.name : 'idle timeout given on the command line',
    idleTimeoutS: c.idleTimeoutS,
    layer: c.layer,
    expiry: p ? p.expiry : null,
    source: p ? p.source : 'command line (--idle-timeout)',
    evidence: p ? p.evidence : 'verified',
  };
}

function explain(sol: KeepaliveSolution, governing: HopView, constraints: PathConstraint[]): string[] {
  const { timeS, intervalS, probes } = sol.keepalive;
  const m = sol.toleratedLosses;
  const T = sol.pathTimeoutS;
  const lines: string[] = [];
  const l4 = constraints.filter((c) => c.layer === 'L4' && c.idleTimeoutS !== null);
  lines.push(
    l4.length > 1
      ? `The smallest L4 idle timeout on the path is ${governing.label} at ${formatSeconds(T)}; the other hops forget flows later.`
      : `The path forgets idle flows after ${formatSeconds(T)} (${governing.label}).`,
  );
  lines.push(
    `Rule: KEEPIDLE + m·KEEPINTVL + ε ≤ T. The (m+1)-th probe must reach the middlebox before it forgets the flow even if the ${m} before it were lost (m = ${m}).`,
  );
  lines.push(
    `Slack ε = ${sol.slackS} s (5 % of T, 1–10 s): timer granularity, clock drift between host and middlebox, the probe's one-way trip.`,
  );
  if (sol.limitedBy === 'detection-target') {
    lines.push(
      `--detect-within ${sol.detectWithinS} s is the tighter bound: KEEPIDLE + KEEPCNT·KEEPINTVL = ${timeS} + ${probes}×${intervalS} = ${sol.detectionS} ≤ ${sol.detectWithinS}.`,
    );
  }
  if (sol.limitedBy === 'kernel-default') {
    lines.push(
      `The path tolerates Linux's default idle time of 7200 s, so KEEPIDLE stays there; keepalive still has to be switched on (SO_KEEPALIVE is off by default).`,
    );
  }
  lines.push(
    `KEEPINTVL = ${intervalS} s, KEEPIDLE = ${timeS} s: ${timeS} + ${m}×${intervalS} + ${sol.slackS} = ${sol.lastNeededProbeS + sol.slackS} ≤ ${T}. ` +
      `The last probe that must get through leaves ${sol.lastNeededProbeS} s after the last received segment.`,
  );
  lines.push(
    `KEEPCNT = ${probes}: probes sent after the middlebox forgot the flow are wasted (RST or silence either way), so m+1 is enough; RFC 1122 forbids giving up on a single unanswered probe, hence at least 2.`,
  );
  lines.push(`Dead-peer detection on an idle connection: ${timeS} + ${probes}×${intervalS} = ${formatSeconds(sol.detectionS)}.`);
  lines.push(
    `TCP_USER_TIMEOUT = ${sol.userTimeoutMs} ms, the same moment: it overrides KEEPCNT for idle sockets (tcp(7)) and also bounds unacknowledged data, which otherwise retransmits for tcp_retries2 (~15 min) on a black-holed path.`,
  );
  lines.push(
    'Linux measures idle from the last received segment, middleboxes from the last packet in either direction, and a healthy connection probes again every KEEPIDLE; so the bound is conservative.',
  );
  return lines;
}

function l7Warning(c: PathConstraint, tcpIdleS: number): L7Warning {
  const name = c.preset ? c.preset.name : c.label;
  if (c.idleTimeoutS === null) {
    return {
      label: c.label,
      idleTimeoutS: null,
      heartbeatEveryS: null,
      message: `${name} terminates TCP and has no default idle timeout: TCP keepalive probes never reach past it. Send application data more often than its configured timeout.`,
    };
  }
  // 20 % margin: heartbeats are scheduled by the application and may queue behind other work.
  const heartbeatEveryS = Math.max(1, niceFloor(c.idleTimeoutS * 0.8));
  const note = c.preset?.note ? ` ${c.preset.note}` : '';
  const moot =
    heartbeatEveryS < tcpIdleS
      ? ` Heartbeats this frequent also keep the L4 hops fresh, so the TCP keepalive above only matters for detecting dead peers.`
      : '';
  return {
    label: c.label,
    idleTimeoutS: c.idleTimeoutS,
    heartbeatEveryS,
    message:
      `${name} is an L7 proxy: it terminates TCP, so keepalive probes (no payload) do not reset its ${c.idleTimeoutS} s idle timer. ` +
      `Send application bytes at least every ${heartbeatEveryS} s, or raise its idle timeout.${note}${moot}`,
  };
}

function warningsFor(governing: HopView, constraints: PathConstraint[], userTimeoutMs: number): string[] {
  const warnings: string[] = [];
  const seconds = userTimeoutMs / 1000;
  switch (governing.expiry) {
    case 'reset-on-next-packet':
      warnings.push(
        `Without keepalive, the first packet after ${governing.idleTimeoutS} s idle is answered with a RST forged by ${governing.label}: ECONNRESET on the next write or read.`,
      );
      break;
    case 'reset-at-timeout':
      warnings.push(
        `${governing.label} resets both ends exactly at the timeout: idle connections die with ECONNRESET even without traffic.`,
      );
      break;
    case 'silent-drop':
      warnings.push(
        `${governing.label} drops packets of forgotten flows silently: without keepalive the next write retransmits for ~15 min (tcp_retries2) before ETIMEDOUT; with TCP_USER_TIMEOUT it fails after ${seconds} s.`,
      );
      break;
    default:
      break;
  }
  for (const c of constraints) {
    if (c.preset && c.preset.evidence === 'unverified' && c.idleTimeoutS !== null) {
      warnings.push(
        `${c.label}: the ${c.idleTimeoutS} s default is not verified against vendor documentation; confirm the configured value (or measure it) before relying on it.`,
      );
    }
  }
  return warnings;
}

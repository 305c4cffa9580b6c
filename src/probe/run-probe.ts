import { UserError } from '../model/errors.js';
import { PRESETS } from '../recommend/presets.js';
import type { ResetAttribution } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { VERSION } from '../version.js';
import { choosePoints, searchEnd, type Bracket, type Precision, type SearchSpace } from './bisection.js';
import { startProbeCapture, type CaptureFindings, type ProbeCapture } from './probe-capture.js';
import type { FailureMode, ProbeReport, RoundReport, StopReason, TrialReport } from './probe-report.js';
import { procTcpAvailable, ProcTcpWatcher } from './proc-net-tcp.js';
import { summarize } from './summarize.js';
import { resolveTarget, type ProbeTarget } from './target.js';
import { ConnectFailure, decisionAllowanceS, EARLY_RESET_S, Trial, type ProbeMethod, type TrialEnv, type TrialResult } from './trial.js';

export interface ProbeSettings {
  target: ProbeTarget;
  method: ProbeMethod;
  minS: number;
  maxS: number;
  precision: Precision;
  connections: number;
  maxTimeS: number;
  /** Capture the probe's flows for RST attribution (needs tcpdump and the privilege to run it). */
  capture: boolean;
  captureInterface: string;
}

export interface ProbeHooks {
  signal?: AbortSignal;
  /** Progress lines for a human. */
  log?: (line: string) => void;
}

interface Running {
  trial: Trial;
  round: number;
  startedS: number;
}

/** Trials that end without a word about the path before the probe gives up. */
const MAX_INCONCLUSIVE = 4;

/**
 * Measures the idle timeout of the path to one server: up to `connections`
 * parallel connections, each idle for a different length and then tested,
 * new idle lengths placed inside the bracket as soon as a slot frees up.
 */
export async function runProbe(settings: ProbeSettings, hooks: ProbeHooks = {}): Promise<ProbeReport> {
  const log = hooks.log ?? (() => {});
  const target = await resolveTarget(settings.target);
  const where = endpointText({ addr: target.address, port: target.port });
  const notes: string[] = [];
  const procOk = procTcpAvailable(target.family);
  if (settings.method === 'data' && !procOk) {
    throw new UserError('--allow-data needs /proc/net/tcp to see whether the byte was acknowledged (Linux only)');
  }
  if (!procOk) notes.push('No /proc/net/tcp: a surviving connection is only known by the absence of an error, which takes longer.');
  if (target.host !== target.address) notes.push(`${target.host} resolved to ${target.address}; every connection went there.`);
  const env: TrialEnv = {
    address: target.address,
    port: target.port,
    family: target.family,
    method: settings.method,
    proc: procOk ? new ProcTcpWatcher(target.family) : null,
  };
  const space: SearchSpace = {
    minS: settings.minS,
    maxS: settings.maxS,
    stepS: settings.method === 'keepalive' ? 1 : 0.1,
    precision: settings.precision,
  };
  const allowanceS = decisionAllowanceS(settings.method);

  let capture: ProbeCapture | null = null;
  let captureNote = 'disabled (--no-capture)';
  if (settings.capture) {
    const started = await startProbeCapture(target.address, target.port, settings.captureInterface);
    if ('stop' in started) capture = started;
    else captureNote = started.unavailable;
  }

  const t0 = Date.now();
  const sinceStart = (ms: number): number => (ms - t0) / 1000;
  const deadline = t0 + settings.maxTimeS * 1000;
  const bracket: Bracket = { survivedMaxS: null, diedMinS: null };
  const running = new Set<Running>();
  const rounds: RoundReport[] = [];
  const results: Array<{ res: TrialResult; report: TrialReport }> = [];
  const modes = new Set<FailureMode>();
  let inconclusive = 0;
  let serverClosesAfterS = Infinity;
  let stop: StopReason | null = null;

  const halt = (reason: StopReason, why: string): void => {
    stop ??= reason;
    for (const r of running) r.trial.cancel(why);
  };
  const onAbort = (): void => halt('interrupted', 'interrupted');
  hooks.signal?.addEventListener('abort', onAbort);
  if (hooks.signal?.aborted) onAbort();
  const deadlineTimer = setTimeout(() => halt('max-time', `--max-time (${settings.maxTimeS} s) reached`), settings.maxTimeS * 1000);

  const launch = async (): Promise<void> => {
    const pending = [...running].map((r) => r.trial.idleS);
    const k = settings.connections - running.size;
    const capS = Math.min(serverClosesAfterS, (deadline - Date.now()) / 1000 - allowanceS);
    const points = choosePoints(space, bracket, pending, k, capS);
    if (points.length === 0) {
      if (running.size > 0) return;
      const wanted = choosePoints(space, bracket, pending, k, serverClosesAfterS);
      const uncapped = choosePoints(space, bracket, pending, k);
      stop ??= wanted.length > 0 ? 'max-time' : uncapped.length > 0 ? 'inconclusive' : 'resolution';
      return;
    }
    const round = rounds.length + 1;
    const startedS = sinceStart(Date.now());
    rounds.push({ round, startedS, trials: [], bracketAfter: { ...bracket } });
    const opened = await Promise.allSettled(points.map((p) => Trial.open(env, p)));
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    for (const o of opened) if (o.status === 'fulfilled') running.add({ trial: o.value, round, startedS });
    // Ctrl-C or the deadline may have come while connecting.
    if (stop !== null) halt(stop, 'the probe is stopping');
    if (failed) {
      halt('interrupted', 'a connection failed');
      throw failed.reason instanceof ConnectFailure ? new UserError(failed.reason.message) : failed.reason;
    }
    log(`round ${round} at ${startedS.toFixed(0)} s: idle ${points.map((p) => `${p} s`).join(', ')}`);
  };

  const record = (r: Running, res: TrialResult): void => {
    const report: TrialReport = {
      idleS: res.idleS,
      outcome: res.outcome,
      startedS: r.startedS,
      decidedS: sinceStart(res.decidedAt),
      observedIdleS: res.observedIdleS,
      localPort: res.localPort,
      code: res.code,
      evidence: res.evidence,
      capture: null,
    };
    results.push({ res, report });
    rounds[r.round - 1]!.trials.push(report);
    if (res.outcome === 'reset' || res.outcome === 'silent-drop') {
      modes.add(res.outcome);
      // A proactive RST well before the probe was due shows the flow was dead even earlier.
      const diedS = res.observedIdleS !== null && res.observedIdleS < res.idleS - EARLY_RESET_S ? res.observedIdleS : res.idleS;
      if (bracket.survivedMaxS !== null && diedS <= bracket.survivedMaxS) notes.push(inconsistent(res.idleS, bracket.survivedMaxS));
      else bracket.diedMinS = Math.min(bracket.diedMinS ?? Infinity, diedS);
      for (const o of running) if (o.trial.idleS >= diedS) o.trial.cancel(`implied: ${diedS} s of idle was already fatal`);
    } else if (res.outcome === 'survived') {
      if (bracket.diedMinS !== null && res.idleS >= bracket.diedMinS) notes.push(inconsistent(bracket.diedMinS, res.idleS));
      else bracket.survivedMaxS = Math.max(bracket.survivedMaxS ?? -Infinity, res.idleS);
      for (const o of running) if (o.trial.idleS <= res.idleS) o.trial.cancel(`implied: ${res.idleS} s of idle survived`);
    } else if (res.outcome === 'closed' || res.outcome === 'error') {
      inconclusive++;
      if (res.outcome === 'closed') {
        const after = (res.decidedAt - res.connectedAt) / 1000;
        serverClosesAfterS = Math.min(serverClosesAfterS, Math.floor(after));
        notes.push(
          `The server closed an idle connection itself after ${after.toFixed(1)} s (an application idle timeout?): idle lengths from there on cannot be tested.`,
        );
      }
      if (inconclusive >= Math.max(MAX_INCONCLUSIVE, settings.connections)) halt('inconclusive', 'too many trials ended without a verdict');
    }
    rounds[r.round - 1]!.bracketAfter = { ...bracket };
    if (res.outcome !== 'cancelled') log(`  idle ${res.idleS} s: ${res.outcome} (${res.evidence}) → ${bracketText(bracket)}`);
    const end = searchEnd(space, bracket);
    if (end) halt(end, 'the bracket is already narrow enough');
  };

  let finished = false;
  try {
    for (;;) {
      // Every trial that has ended, also those a verdict just cancelled, before refilling the slots as one round.
      for (let r = firstEnded(running); r; r = firstEnded(running)) {
        running.delete(r);
        record(r, r.trial.result!);
      }
      if (stop === null) await launch();
      if (running.size === 0) break;
      await Promise.race([...running].map((r) => r.trial.done));
      // Trials that end in the same moment (one RST often ends several) belong to one step.
      await new Promise((resolve) => setImmediate(resolve));
    }
    finished = true;
  } finally {
    clearTimeout(deadlineTimer);
    hooks.signal?.removeEventListener('abort', onAbort);
    for (const r of running) r.trial.cancel('the probe is stopping');
    // On a failure tcpdump must not outlive us; on success stop() below also collects its findings.
    if (!finished && capture) await capture.stop();
  }

  const found = capture ? await capture.stop() : null;
  const resetsBy = found ? attachCapture(results, found) : {};
  const report: ProbeReport = {
    tool: 'keepalive-doctor',
    version: VERSION,
    target: { host: target.host, address: target.address, port: target.port },
    method: settings.method,
    settings: {
      minS: settings.minS,
      maxS: settings.maxS,
      precision: settings.precision.kind === 'seconds' ? { seconds: settings.precision.value } : { fraction: settings.precision.value },
      connections: settings.connections,
      maxTimeS: settings.maxTimeS,
    },
    result: {
      survivedMaxS: bracket.survivedMaxS,
      diedMinS: bracket.diedMinS,
      widthS: bracket.survivedMaxS !== null && bracket.diedMinS !== null ? round3(bracket.diedMinS - bracket.survivedMaxS) : null,
      failureMode: modes.size === 0 ? null : modes.size > 1 ? 'mixed' : [...modes][0]!,
      stopReason: stop ?? 'resolution',
      matches: matches(bracket),
      summary: '',
    },
    capture: found
      ? {
          status: 'used',
          detail: found.error ?? `tcpdump -i ${found.interface}`,
          interface: found.interface,
          packets: found.packets,
          resetsBy,
        }
      : { status: settings.capture ? 'unavailable' : 'disabled', detail: captureNote, interface: null, packets: null, resetsBy: {} },
    rounds,
    elapsedS: round3(sinceStart(Date.now())),
    notes: [...new Set(notes)],
  };
  report.result.summary = summarize(report, where);
  return report;
}

function firstEnded(running: Set<Running>): Running | undefined {
  let first: Running | undefined;
  for (const r of running) if (r.trial.result && (!first || r.trial.result.decidedAt < first.trial.result!.decidedAt)) first = r;
  return first;
}

function attachCapture(
  results: Array<{ res: TrialResult; report: TrialReport }>,
  found: CaptureFindings,
): Partial<Record<ResetAttribution, number>> {
  const resetsBy: Partial<Record<ResetAttribution, number>> = {};
  for (const { res, report } of results) {
    // Ports get reused across a long run: the capture's connection must also have started with the trial.
    const c = found.connections.find((x) => x.localPort === res.localPort && Math.abs(x.startS - res.connectedAt / 1000) < 2);
    if (!c) continue;
    report.capture = {
      resets: c.resets.map((r) => ({ attribution: r.attribution, confidence: r.confidence, idleBeforeS: r.idleBeforeS })),
      silentDrop: c.silentDrop
        ? `${c.silentDrop.kind}: ${c.silentDrop.keepalives} keepalive(s), ${c.silentDrop.retransmissions} retransmission(s) unanswered`
        : null,
      keepaliveIdleS: c.keepaliveIdleS,
    };
    for (const r of c.resets) resetsBy[r.attribution] = (resetsBy[r.attribution] ?? 0) + 1;
  }
  return resetsBy;
}

function matches(b: Bracket): Array<{ preset: string; timeoutS: number }> {
  if (b.diedMinS === null) return [];
  const lo = b.survivedMaxS ?? 0;
  return PRESETS.filter((p) => p.layer === 'L4' && p.idleTimeoutS !== null && p.idleTimeoutS > lo && p.idleTimeoutS <= b.diedMinS!).map(
    (p) => ({
      preset: p.id,
      timeoutS: p.idleTimeoutS!,
    }),
  );
}

function inconsistent(diedS: number, survivedS: number): string {
  return `Inconsistent: a connection survived ${survivedS} s of idle although ${diedS} s was fatal for another; the path may not have one idle timeout (several boxes, per-flow timeouts, or packet loss).`;
}

export function bracketText(b: Bracket): string {
  if (b.survivedMaxS === null && b.diedMinS === null) return 'T unknown';
  if (b.diedMinS === null) return `T > ${b.survivedMaxS} s`;
  if (b.survivedMaxS === null) return `T ≤ ${b.diedMinS} s`;
  return `${b.survivedMaxS} s < T ≤ ${b.diedMinS} s`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

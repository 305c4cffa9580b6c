import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import type {
  ConnectionDiagnosis, Evidence, IdleTimeoutInference, ResetVerdict, SilentDropVerdict,
} from '../report/analysis-report.js';
import { relTimeText } from '../report/time-base.js';
import { F_T_LAST, H_PORT, H_STATE, ST_IPV6, STRIDE32, W_ADDR } from '../track/connection-store.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, K_RST, KIND_NAMES } from '../track/packet-kind.js';
import type { ResetContext } from '../track/reset-context.js';
import { addressText } from '../util/ip-text.js';
import { durationText } from '../util/time-text.js';
import { connectionFacts } from './connection-facts.js';
import { ConnectionEvents } from './connection-events.js';
import { inferIdleTimeouts, type IdleObservation } from './idle-timeout.js';
import { attributeReset } from './reset-attribution.js';
import { findSilentDrop } from './silent-drop.js';

/** Evidence about this capture's RSTs and silences that only another capture can give. */
export interface CrossEvidence {
  /** Keyed by RST frame. */
  resets: Map<number, Evidence[]>;
  /** Keyed by connection id (1-based): a settled silent-drop kind with its reason. */
  silentDrops: Map<number, { kind: SilentDropVerdict['kind']; evidence: string }>;
}

export interface CaptureDiagnosis {
  diagnoses: ConnectionDiagnosis[];
  idleTimeouts: IdleTimeoutInference[];
}

const side = (dir: number) => (dir === 0 ? 'client' : 'server');

export function serverPath(analysis: CaptureAnalysis, c: number): string {
  const s = analysis.tracker.store;
  const v6 = (s.h(c, H_STATE) & ST_IPV6) !== 0;
  const addr = addressText(s.u32, c * STRIDE32 + W_ADDR + 4, v6);
  return `${v6 ? `[${addr}]` : addr}:${s.h(c, H_PORT + 1)}`;
}

/** Who sent each RST, which connections fell silent, and what idle timeout explains it. */
export function diagnoseCapture(analysis: CaptureAnalysis, cross?: CrossEvidence): CaptureDiagnosis {
  const tracker = analysis.tracker;
  const log = tracker.events;
  const events = new ConnectionEvents(log, tracker.connectionCount);
  let captureEnd = -Infinity;
  for (let c = 0; c < tracker.connectionCount; c++) captureEnd = Math.max(captureEnd, tracker.store.f(c, F_T_LAST));

  const resetsByConn = new Map<number, ResetContext[]>();
  for (const r of tracker.resets) {
    const list = resetsByConn.get(r.conn) ?? [];
    list.push(r);
    resetsByConn.set(r.conn, list);
  }

  const diagnoses: ConnectionDiagnosis[] = [];
  const observations: IdleObservation[] = [];
  const verdictByFrame = new Map<number, ResetVerdict>();
  const conns = new Set<number>([...resetsByConn.keys()]);
  for (let c = 0; c < tracker.connectionCount; c++) if (events.of(c).length > 0) conns.add(c);

  for (const c of [...conns].sort((a, b) => a - b)) {
    const facts = connectionFacts(tracker, c);
    const siblings = resetsByConn.get(c) ?? [];
    const resets: ResetVerdict[] = siblings.map((rst) => {
      const prevIdx = rst.previous ? log.indexOfFrame(rst.previous.frame) : -1;
      const triggerIdleNs = prevIdx >= 0 ? log.idleBefore[prevIdx]! : null;
      const a = attributeReset({ rst, facts, siblings, triggerIdleNs, extra: cross?.resets.get(rst.frame) ?? [] });
      const v: ResetVerdict = {
        conn: c + 1,
        frame: rst.frame,
        ts: relTimeText(tracker, rst.time),
        dir: rst.dir === 0 ? 'c2s' : 's2c',
        claimedSender: side(rst.dir),
        attribution: a.attribution,
        confidence: a.confidence,
        trigger:
          rst.previous && rst.previous.dir !== rst.dir
            ? {
                frame: rst.previous.frame,
                kind: KIND_NAMES[rst.previous.kind]!,
                delayS: (rst.time - rst.previous.time) / 1e9,
                idleBeforeS: (triggerIdleNs ?? 0) / 1e9,
              }
            : null,
        evidence: a.evidence,
      };
      verdictByFrame.set(rst.frame, v);
      return v;
    });

    let silentDrop = findSilentDrop(tracker, events, c, captureEnd);
    const settled = cross?.silentDrops.get(c + 1);
    if (silentDrop && settled) silentDrop = { ...silentDrop, kind: settled.kind, evidence: [...silentDrop.evidence, settled.evidence] };

    observations.push(...idleObservations(analysis, events, c, verdictByFrame, silentDrop));
    if (resets.length === 0 && !silentDrop) continue;
    diagnoses.push({ conn: c + 1, verdict: connectionVerdict(resets, silentDrop), resets, silentDrop });
  }
  return { diagnoses, idleTimeouts: inferIdleTimeouts(observations) };
}

/** Each silence of at least a second, and whether the connection came through it. */
function idleObservations(
  analysis: CaptureAnalysis, events: ConnectionEvents, c: number, verdicts: Map<number, ResetVerdict>, drop: SilentDropVerdict | null,
): IdleObservation[] {
  const log = events.log;
  const idx = events.of(c);
  const out: IdleObservation[] = [];
  const path = serverPath(analysis, c);
  for (let n = 0; n < idx.length; n++) {
    const i = idx[n]!;
    const k = log.kind[i]!;
    if (log.idleBefore[i]! < 1e9 || !(k === K_KEEPALIVE || k === K_DATA || k === K_RETRANSMISSION)) continue;
    let answer = -1;
    for (let m = n + 1; m < idx.length; m++) {
      if (log.dir[idx[m]!] !== log.dir[i]) {
        answer = idx[m]!;
        break;
      }
    }
    const idleS = log.idleBefore[i]! / 1e9;
    if (answer >= 0 && log.kind[answer] !== K_RST) out.push({ path, conn: c, idleS, outcome: 'survived' });
    else if (answer >= 0 && verdicts.get(log.frame[answer]!)?.attribution === 'middlebox') out.push({ path, conn: c, idleS, outcome: 'died' });
    else if (answer < 0 && drop && drop.kind !== 'dead-peer' && log.frame[i]! === drop.firstFrame) out.push({ path, conn: c, idleS, outcome: 'died' });
  }
  return out;
}

function connectionVerdict(resets: ResetVerdict[], drop: SilentDropVerdict | null): string {
  const parts: string[] = [];
  const first = resets[0];
  if (first) {
    const trig = first.trigger
      ? ` It answered the ${first.claimedSender === 'client' ? 'server' : 'client'}'s ${first.trigger.kind.replace('_', ' ')} (frame ${first.trigger.frame})${
          first.trigger.idleBeforeS >= 1 ? ` after ${durationText(first.trigger.idleBeforeS)} idle` : ''
        }.`
      : '';
    const conf = first.confidence > 0 ? ` (confidence ${first.confidence.toFixed(2)})` : '';
    switch (first.attribution) {
      case 'middlebox':
        parts.push(`Reset by a middlebox${conf}: the RST claims to come from the ${first.claimedSender}, but the ${first.claimedSender} did not send it.${trig}`);
        break;
      case 'peer':
        parts.push(`The ${first.claimedSender} really reset the connection${conf}.${trig}`);
        break;
      case 'local-stack':
        parts.push(`The capturing host's own stack (the ${first.claimedSender}) reset the connection${conf}.${trig}`);
        break;
      default:
        parts.push(`Reset with a RST from the ${first.claimedSender}'s direction; the evidence does not say who sent it.${trig}`);
    }
  }
  if (drop) {
    const what = [drop.keepalives ? `${drop.keepalives} keepalive probe${drop.keepalives === 1 ? '' : 's'}` : '', drop.retransmissions ? `${drop.retransmissions} retransmission${drop.retransmissions === 1 ? '' : 's'}` : '']
      .filter(Boolean)
      .join(' and ') || 'its packets';
    const where =
      drop.kind === 'black-hole'
        ? 'the path dropped them (black hole)'
        : drop.kind === 'dead-peer'
          ? `they reached the ${drop.sender === 'client' ? 'server' : 'client'}, which never answered (dead peer)`
          : 'a black-holed path or a dead peer (a capture at the other end would tell which)';
    const end = drop.end === 'gave-up' ? `; the ${drop.sender} gave up` : drop.end === 'local-rst' ? `; the ${drop.sender} then reset it itself` : '';
    parts.push(`Silent drop: the ${drop.sender}'s ${what} after ${durationText(drop.idleBeforeS)} idle got no answer — ${where}${end}.`);
  }
  return parts.join(' ');
}

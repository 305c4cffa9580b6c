/** The document `kad probe --json` prints, and what the text renderer reads. */
import type { ResetAttribution } from '../model/analysis-report.js';
import type { ProbeMethod, TrialOutcome } from './trial.js';

export type StopReason =
  /** The bracket is as narrow as asked. */
  | 'precision'
  /** Keepalive idle is whole seconds: no untried idle is left inside the bracket. */
  | 'resolution'
  /** Even --min was fatal: the timeout is at most --min. */
  | 'below-min'
  /** Even --max survived: no timeout up to --max. */
  | 'above-max'
  | 'max-time'
  | 'interrupted'
  /** Too many trials ended without saying anything about the path (server closed them, socket errors). */
  | 'inconclusive';

export type FailureMode = 'reset' | 'silent-drop' | 'mixed';

export interface TrialReport {
  /** Requested idle before the probe / byte, s. */
  idleS: number;
  outcome: TrialOutcome;
  /** Seconds since the run started. */
  startedS: number;
  decidedS: number;
  observedIdleS: number | null;
  localPort: number;
  code: string | null;
  evidence: string;
  /** From the concurrent capture, when there was one. */
  capture: {
    resets: Array<{ attribution: ResetAttribution; confidence: number; idleBeforeS: number | null }>;
    silentDrop: string | null;
    keepaliveIdleS: number | null;
  } | null;
}

export interface RoundReport {
  round: number;
  startedS: number;
  trials: TrialReport[];
  /** The bracket once this round's last trial was decided. */
  bracketAfter: { survivedMaxS: number | null; diedMinS: number | null };
}

export interface ProbeReport {
  tool: 'keepalive-doctor';
  version: string;
  target: { host: string; address: string; port: number };
  method: ProbeMethod;
  settings: {
    minS: number;
    maxS: number;
    precision: { seconds: number } | { fraction: number };
    connections: number;
    maxTimeS: number;
  };
  result: {
    /** The idle timeout T of the path: survivedMaxS < T ≤ diedMinS (either may be unknown). */
    survivedMaxS: number | null;
    diedMinS: number | null;
    widthS: number | null;
    failureMode: FailureMode | null;
    stopReason: StopReason;
    /** Known middlebox defaults inside the bracket. */
    matches: Array<{ preset: string; timeoutS: number }>;
    summary: string;
  };
  capture: {
    status: 'used' | 'unavailable' | 'disabled';
    detail: string;
    interface: string | null;
    packets: number | null;
    /** RSTs by who really sent them. */
    resetsBy: Partial<Record<ResetAttribution, number>>;
  };
  rounds: RoundReport[];
  elapsedS: number;
  notes: string[];
}

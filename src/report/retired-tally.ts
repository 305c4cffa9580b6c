import type {
  ConnectionCounts,
  ConnectionDiagnosis,
  ConnectionEndKind,
  ConnectionReport,
  IdleTimeoutInference,
} from '../model/analysis-report.js';
import { bracketPaths, mergePathTallies, type PathTallies } from '../diagnose/idle-timeout.js';
import { ProblemGroupTally } from './problem-groups.js';
import { SetupPathTally } from './setup-paths.js';

/**
 * `item` into `list` (ascending by `id`), keeping at most `cap` of the
 * smallest; whether it went in (a later insert may still push it out).
 */
export function insertById<T>(list: T[], item: T, id: (x: T) => number, cap: number): boolean {
  if (cap <= 0) return false;
  const k = id(item);
  if (list.length >= cap && k > id(list[list.length - 1]!)) return false;
  let i = list.length;
  while (i > 0 && id(list[i - 1]!) > k) i--;
  list.splice(i, 0, item);
  // The one dropped is the largest, and larger than `item` (a full list let only a smaller id in).
  if (list.length > cap) list.pop();
  return true;
}

/** Two lists ascending by `id`, as one. */
export function mergeById<T>(a: readonly T[], b: readonly T[], id: (x: T) => number): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && id(a[i]!) <= id(b[j]!))) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

export const connId = (c: ConnectionReport): number => c.id;
export const diagnosisId = (d: ConnectionDiagnosis): number => d.conn;

/**
 * What a capture's report keeps of the connections evicted from the tracker
 * so far: everything a report counts (ends, problems, problem groups, idle
 * periods by path, the time span) and, in full, only the connections a
 * report could list (the `keep` smallest ids of problems and of others, as
 * buildFileReport picks them) with their worded verdicts. Bounded whatever
 * the length of the capture.
 */
export class RetiredTally {
  evicted = 0;
  readonly counts: ConnectionCounts = { total: 0, byEnd: {}, problems: 0, others: 0 };
  /** Smallest id per end kind: byEnd lists kinds in order of first appearance. */
  readonly endFirstId = new Map<ConnectionEndKind, number>();
  readonly problems: ConnectionReport[] = [];
  readonly others: ConnectionReport[] = [];
  /** Worded verdicts of the kept problem connections, ascending by id. */
  readonly diagnoses: ConnectionDiagnosis[] = [];
  diagnosesNotKept = 0;
  readonly groups = new ProblemGroupTally();
  /** SYN / SYN-ACK retransmissions and set-up failures by path (filtered, as the counts). */
  readonly setupPaths = new SetupPathTally();
  readonly paths: PathTallies = new Map();
  /** RSTs by attribution among the evicted connections (all of them, filtered or not). */
  readonly resetsBy: Record<string, number> = {};
  /** Keepalive probes sent and answered, and sequence holes, summed over the evicted connections. */
  keepalivesSent = 0;
  keepalivesAnswered = 0;
  captureGaps = 0;
  /** Earliest first and latest last packet (ns from the tracker's time base). */
  firstNs = Infinity;
  lastNs = -Infinity;

  constructor(
    /** How many problem (and other) connections to keep in full. */
    readonly keep: number,
  ) {}

  keepProblem(r: ConnectionReport): boolean {
    return insertById(this.problems, r, connId, this.keep);
  }

  keepOther(r: ConnectionReport): void {
    insertById(this.others, r, connId, this.keep);
  }

  /** Worded verdicts of a batch's kept problem connections (ascending); then drops those whose connection is no longer kept. */
  keepDiagnoses(batch: readonly ConnectionDiagnosis[]): void {
    const merged = mergeById(this.diagnoses, batch, diagnosisId);
    const kept = new Set(this.problems.map(connId));
    this.diagnoses.length = 0;
    for (const d of merged) {
      if (kept.has(d.conn)) this.diagnoses.push(d);
      else this.diagnosesNotKept++;
    }
  }

  addPaths(paths: PathTallies): void {
    mergePathTallies(this.paths, paths);
  }

  /** Each path's idle-timeout bracket over the evicted connections and the held ones (`held`, not changed). */
  idleTimeoutsWith(held: PathTallies): IdleTimeoutInference[] {
    return bracketPaths(mergePathTallies(mergePathTallies(new Map(), this.paths), held));
  }
}

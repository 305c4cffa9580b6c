import type { FilesAnalysis } from '../diagnose/analyze-files.js';
import { bracketPaths, type PathTallies } from '../diagnose/idle-timeout.js';
import type { ConnectionDiagnosis, FileReport, MergedFinding, MergedView } from '../model/analysis-report.js';
import { withRecommendation } from '../recommend/bracket-recommendation.js';
import { problemOf, ProblemGroupTally } from './problem-groups.js';

/**
 * Captures of the same traffic told as one. Each capture is diagnosed with
 * the others' testimony already (two-sided evidence), so their verdicts on a
 * connection agree on who sent what; what is left is to say it once: one
 * finding per connection, one headline, and one idle-timeout bracket per path
 * from every capture's idle periods, with one recommendation. Without this a
 * two-sided run repeated itself, each capture with its own bracket for the
 * same path (T ≤ 6.51 s at the client beside T ≤ 5.09 s at the server).
 */
export function buildMergedView(run: FilesAnalysis, reports: readonly FileReport[]): MergedView | null {
  if (!run.comparisons.some((c) => c.matched.length > 0) || run.diagnoses.length !== run.analyses.length) return null;
  const same = new SameConnection(run);
  return {
    findings: findings(run, reports, same),
    problemGroups: headline(reports, same),
    idleTimeouts: brackets(run, reports, same),
  };
}

/** Connections across captures, as "capture index:connection number", joined by the comparisons' matches. */
class SameConnection {
  private readonly parent = new Map<string, string>();
  private readonly members = new Map<string, string[]>();

  constructor(run: FilesAnalysis) {
    const index = new Map(run.analyses.map((a, i) => [a.file, i]));
    for (const c of run.comparisons) {
      const a = index.get(c.files[0]);
      const b = index.get(c.files[1]);
      if (a === undefined || b === undefined) continue;
      for (const [x, y] of c.matched) this.join(key(a, x), key(b, y));
    }
  }

  /** The key every view of this connection shares. */
  root(k: string): string {
    let r = k;
    for (let up = this.parent.get(r); up !== undefined; up = this.parent.get(r)) r = up;
    return r;
  }

  /** Every view of the connection (itself alone when no other capture matched it), in capture order. */
  views(k: string): string[] {
    return this.members.get(this.root(k)) ?? [k];
  }

  private join(a: string, b: string): void {
    const ra = this.root(a);
    const rb = this.root(b);
    if (ra === rb) return;
    // The lower capture's view stays the root, so a connection is named after the first capture that has it.
    const [top, under] = order(ra) <= order(rb) ? [ra, rb] : [rb, ra];
    this.parent.set(under, top);
    const all = [...(this.members.get(top) ?? [top]), ...(this.members.get(under) ?? [under])].sort((x, y) => order(x) - order(y));
    this.members.set(top, all);
    this.members.delete(under);
  }
}

function key(capture: number, conn: number): string {
  return `${capture}:${conn}`;
}

function parse(k: string): [capture: number, conn: number] {
  const [a, b] = k.split(':');
  return [Number(a), Number(b)];
}

/** Capture first, then connection number. */
function order(k: string): number {
  const [a, b] = parse(k);
  return a * 2 ** 32 + b;
}

interface Candidate {
  capture: number;
  diagnosis: ConnectionDiagnosis;
}

/**
 * How sure a capture is of its story about the connection: a reset verdict's
 * confidence; a silence settled by the other side's capture (black hole, dead
 * peer) as a strong one; one that only this capture saw, less; one the capture
 * may have missed the answer to, least.
 */
function certainty(d: ConnectionDiagnosis): number {
  const p = problemOf(d);
  if (p === null) return 0;
  if (p.confidence !== null) return p.confidence;
  const drop = d.silentDrop!;
  if (drop.doubt !== null) return 0.3;
  return drop.kind === 'unanswered' ? 0.5 : 0.9;
}

/** The capture whose story to tell: the surest, then the one that met the problem after the shortest silence (the first to hit it). */
function primary(list: Candidate[]): Candidate {
  let best = list[0]!;
  for (const c of list.slice(1)) {
    const dc = certainty(c.diagnosis) - certainty(best.diagnosis);
    if (dc > 0.005) best = c;
    else if (dc >= -0.005 && (problemOf(c.diagnosis)?.idle ?? Infinity) < (problemOf(best.diagnosis)?.idle ?? Infinity)) best = c;
  }
  return best;
}

/** Each connection's diagnoses by every capture that has one, keyed by the connection's root view, in first-capture order. */
function diagnosedConnections(reports: readonly FileReport[], same: SameConnection): Map<string, Candidate[]> {
  const byRoot = new Map<string, Candidate[]>();
  reports.forEach((r, capture) => {
    for (const d of r.diagnoses) {
      const root = same.root(key(capture, d.conn));
      const list = byRoot.get(root) ?? [];
      list.push({ capture, diagnosis: d });
      byRoot.set(root, list);
    }
  });
  return new Map([...byRoot].sort((a, b) => order(a[0]) - order(b[0])));
}

function findings(run: FilesAnalysis, reports: readonly FileReport[], same: SameConnection): MergedFinding[] {
  const out: MergedFinding[] = [];
  // A report words only the connections it lists; a finding is told in full.
  const worded = (c: Candidate) => run.diagnoses[c.capture]!.explainConnection(c.diagnosis.conn) ?? c.diagnosis;
  for (const [root, list] of diagnosedConnections(reports, same)) {
    const main = primary(list);
    out.push({
      seenAs: same.views(root).map((k) => {
        const [capture, conn] = parse(k);
        return { file: reports[capture]!.file, conn };
      }),
      file: reports[main.capture]!.file,
      diagnosis: worded(main),
      alsoSeen: list
        .filter((c) => c !== main)
        .map((c) => ({ file: reports[c.capture]!.file, conn: c.diagnosis.conn, verdict: worded(c).verdict })),
    });
  }
  return out;
}

function headline(reports: readonly FileReport[], same: SameConnection): MergedView['problemGroups'] {
  const groups = new ProblemGroupTally();
  for (const list of diagnosedConnections(reports, same).values()) groups.add(primary(list).diagnosis);
  return groups.groups();
}

/** One connection's idle periods as every capture of it saw them: the longest survived, the shortest died, counted once. */
interface ConnectionPeriods {
  path: string;
  survived: number;
  survivedMaxNs: number;
  died: number;
  diedMinNs: number;
}

function brackets(run: FilesAnalysis, reports: readonly FileReport[], same: SameConnection): MergedView['idleTimeouts'] {
  const byRoot = new Map<string, ConnectionPeriods>();
  /** What each capture calls a path, under the name the merged view gives it (a NAT may show the server as another address). */
  const alias = new Map<string, string>();
  run.analyses.forEach((a, capture) => {
    const diag = run.diagnoses[capture]!;
    const sums = diag.connectionTallies;
    const store = a.tracker.store;
    for (let c = 0; c < sums.first.length; c++) {
      if (sums.first[c]! < 0) continue;
      const root = same.root(key(capture, store.id(c)));
      let p = byRoot.get(root);
      if (p === undefined) {
        // Roots are each connection's view in the lowest capture: the merged path is the name it has there.
        const [rootCapture, rootConn] = parse(root);
        const rootDiag = run.diagnoses[rootCapture]!;
        const rootIndex = run.analyses[rootCapture]!.tracker.store.indexOfId(rootConn);
        const path = rootIndex >= 0 ? rootDiag.pathOf(rootIndex) : diag.pathOf(c);
        byRoot.set(root, (p = { path, survived: 0, survivedMaxNs: -Infinity, died: 0, diedMinNs: Infinity }));
      }
      alias.set(`${capture}\u0000${diag.pathOf(c)}`, p.path);
      p.survived = Math.max(p.survived, sums.survivedCount[c]!);
      p.survivedMaxNs = Math.max(p.survivedMaxNs, sums.survivedMaxNs[c]!);
      p.died = Math.max(p.died, sums.diedCount[c]!);
      p.diedMinNs = Math.min(p.diedMinNs, sums.diedMinNs[c]!);
    }
  });
  const paths: PathTallies = new Map();
  for (const [, p] of [...byRoot].sort((a, b) => order(a[0]) - order(b[0]))) {
    let t = paths.get(p.path);
    if (t === undefined)
      paths.set(p.path, (t = { survivedMaxS: -Infinity, survived: 0, diedMinS: Infinity, died: 0, conns: 0, first: paths.size }));
    t.conns++;
    t.survived += p.survived;
    t.survivedMaxS = Math.max(t.survivedMaxS, p.survivedMaxNs / 1e9);
    t.died += p.died;
    t.diedMinS = Math.min(t.diedMinS, p.diedMinNs / 1e9);
  }
  // A filter narrows the captures' own brackets to the paths it lets through: the merged ones follow them.
  const shown = new Set<string>();
  reports.forEach((r, capture) => {
    for (const t of r.idleTimeouts) shown.add(alias.get(`${capture}\u0000${t.path}`) ?? t.path);
  });
  return bracketPaths(paths)
    .filter((t) => shown.has(t.path))
    .map(withRecommendation);
}

/**
 * What kad says about each RST of a lab run, next to the truth: from the
 * client's capture alone, the server's alone, and both together. The cells
 * are data (written to a JSON file and rendered from it), never typed.
 */
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../../src/diagnose/diagnose-capture.js';
import { compareCaptures } from '../../src/diagnose/two-sided.js';
import type { ResetAttribution, ResetVerdict } from '../../src/model/analysis-report.js';
import type { Edge, LabTruth, ResetTruth } from '../truth.js';

export type View = 'client' | 'server' | 'both';
export const VIEWS: readonly View[] = ['client', 'server', 'both'];

/** The bar: a wrong attribution at this confidence or above is a miss. */
export const CONFIDENT = 0.7;

/**
 * ok: right, or unknown naming what decides it; wrong-unsure: wrong, under CONFIDENT;
 * miss: wrong at CONFIDENT or above, unknown naming nothing, or no verdict for a RST the capture holds.
 */
export type Grade = 'ok' | 'wrong-unsure' | 'miss';

export interface Verdict {
  edge: Edge;
  expected: ResetAttribution | 'none';
  attribution: ResetAttribution | 'none';
  confidence: number;
  frame: number | null;
  /** An unknown that says which capture or kernel evidence would decide it. */
  namesDecidingStep: boolean;
  grade: Grade;
}

export interface VerdictRow {
  scenario: string;
  /** The RST as the truth tells it, or null for a scenario without one (any verdict there is wrong). */
  reset: Pick<ResetTruth, 'sentBy' | 'host' | 'from' | 'seenAt'> | null;
  /** Per view, a verdict for each capture of the view that holds the RST; empty: no capture of the view holds it. */
  cells: Record<View, Verdict[]>;
}

/** What the attribution should read at `edge` for a RST really sent by `r.sentBy` on `r.host`. */
export function expectedAt(r: Pick<ResetTruth, 'sentBy' | 'host'>, edge: Edge): ResetAttribution {
  if (r.sentBy === 'middlebox') return 'middlebox';
  // A genuine RST is the local stack's where it was sent, the peer's everywhere else.
  return r.host === edge ? 'local-stack' : 'peer';
}

/** The caveats of kad's evidence name another capture or the kernel's own account when one would decide. */
const DECIDING_STEP = /--kernel|analyze both captures|a capture on the (client|server)/;

function grade(expected: ResetAttribution | 'none', v: ResetVerdict | undefined): Verdict['grade'] {
  if (!v) return expected === 'none' ? 'ok' : 'miss';
  if (v.attribution === expected) return 'ok';
  if (v.attribution === 'unknown') return v.evidence.some((e) => DECIDING_STEP.test(e.caveat ?? '')) ? 'ok' : 'miss';
  return v.confidence >= CONFIDENT ? 'miss' : 'wrong-unsure';
}

function verdictOf(edge: Edge, expected: ResetAttribution | 'none', v: ResetVerdict | undefined): Verdict {
  return {
    edge,
    expected,
    attribution: v?.attribution ?? 'none',
    confidence: v?.confidence ?? 0,
    frame: v?.frame ?? null,
    namesDecidingStep: v !== undefined && v.evidence.some((e) => DECIDING_STEP.test(e.caveat ?? '')),
    grade: grade(expected, v),
  };
}

/** Every RST verdict of one lab run (its captures and truth file in `dir`), per view. */
export async function scenarioVerdicts(dir: string, truth: LabTruth): Promise<VerdictRow[]> {
  const edges: Edge[] = ['client', 'server'];
  const [a, b] = await Promise.all(edges.map((e) => analyzeCapture(join(dir, truth.captures[e]))));
  const two = compareCaptures(a!, b!);
  const resetsOf = (d: ReturnType<typeof diagnoseCapture>): ResetVerdict[] => d.diagnoses.flatMap((x) => x.resets);
  const alone: Record<Edge, ResetVerdict[]> = { client: resetsOf(diagnoseCapture(a!)), server: resetsOf(diagnoseCapture(b!)) };
  const together: Record<Edge, ResetVerdict[]> = {
    client: resetsOf(diagnoseCapture(a!, two.cross[0])),
    server: resetsOf(diagnoseCapture(b!, two.cross[1])),
  };
  const truthResets = truth.connections.flatMap((c) => c.resets);
  if (truthResets.length === 0) {
    // Nothing was reset: every RST verdict is one too many.
    const extra = (edge: Edge, list: ResetVerdict[]): Verdict[] => list.map((v) => verdictOf(edge, 'none', v));
    return [
      {
        scenario: truth.scenario,
        reset: null,
        cells: {
          client: extra('client', alone.client),
          server: extra('server', alone.server),
          both: [...extra('client', together.client), ...extra('server', together.server)],
        },
      },
    ];
  }
  // The n-th truth RST from a side seen at an edge is that edge's n-th verdict for a RST from that side.
  const nth = (r: ResetTruth, edge: Edge): number => truthResets.filter((x) => x.seenAt.includes(edge) && x.from === r.from).indexOf(r);
  const pick = (list: ResetVerdict[], r: ResetTruth, edge: Edge): ResetVerdict | undefined =>
    list.filter((v) => v.claimedSender === r.from)[nth(r, edge)];
  return truthResets.map((r) => {
    const at = edges.filter((e) => r.seenAt.includes(e));
    const one = (edge: Edge): Verdict[] => (at.includes(edge) ? [verdictOf(edge, expectedAt(r, edge), pick(alone[edge], r, edge))] : []);
    return {
      scenario: truth.scenario,
      reset: { sentBy: r.sentBy, host: r.host, from: r.from, seenAt: r.seenAt },
      cells: {
        client: one('client'),
        server: one('server'),
        both: at.map((edge) => verdictOf(edge, expectedAt(r, edge), pick(together[edge], r, edge))),
      },
    };
  });
}

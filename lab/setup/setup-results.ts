/**
 * What one run of the set-up lab test found, per scenario: the verdicts the
 * truth expects and the ones `kad analyze` gave at each capture point (each
 * capture alone), and the kernel counters that moved. The test writes these
 * to a JSON file; setup-table.ts turns that file into the README's table.
 */
import type { FileReport } from '../../src/model/analysis-report.js';
import type { Edge, LabTruth } from '../truth.js';
import { verdictsOf } from '../verify/check-setup-analysis.js';
import { inGroup } from './group-match.js';
import type { KindExpectation, Namespace } from './setup-truth.js';

export const SETUP_RESULTS_SCHEMA = 'kad-setup-lab-results/1';

export interface SetupResult {
  scenario: string;
  summary: string;
  expectedKind: string | null;
  /** Per edge, "kind ×count" for every connection of the scenario ('none' for no set-up verdict). */
  expected: Record<Edge, string>;
  kad: Record<Edge, string>;
  /** The counters the truth says must move, with the delta the kernel reported. */
  moved: Record<Namespace, Record<string, number>>;
}

export interface SetupResults {
  schema: typeof SETUP_RESULTS_SCHEMA;
  /** The commit the run was built from, when known. */
  commit: string | null;
  results: SetupResult[];
}

/** "listen-overflow ×2, none ×4": each kind with how many connections have it, in first-seen order. */
export function tally(kinds: ReadonlyArray<string | null>): string {
  if (kinds.length === 0) return 'no connection';
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k ?? 'none', (counts.get(k ?? 'none') ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}

function expectedText(k: KindExpectation): string | null {
  return k === 'any' ? 'not pinned' : k;
}

export function setupResult(truth: LabTruth, reports: Record<Edge, FileReport>): SetupResult {
  const setup = truth.setup;
  const groups = setup?.groups ?? [];
  const side = (edge: Edge): { expected: string; kad: string } => {
    const expected: Array<string | null> = [];
    const kad: Array<string | null> = [];
    for (const g of groups) {
      if (g.kind[edge] === 'unseen') continue;
      const conns = reports[edge].connections.filter((k) => inGroup(g, k.client, k.server.port, Number(k.start) * 1000));
      const n = g.ports?.length ?? conns.length;
      for (let i = 0; i < n; i++) expected.push(expectedText(g.kind[edge]));
      for (const v of verdictsOf(g, reports[edge])) kad.push(v?.kind ?? null);
    }
    return { expected: tally(expected), kad: tally(kad) };
  };
  const moved = (ns: Namespace): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [name, r] of Object.entries(setup?.counters.expected[ns] ?? {})) {
      if (r.min > 0) out[name] = setup?.counters.measured[ns][name] ?? 0;
    }
    return out;
  };
  const client = side('client');
  const server = side('server');
  return {
    scenario: truth.scenario,
    summary: truth.summary,
    expectedKind: setup?.expectedKind ?? null,
    expected: { client: client.expected, server: server.expected },
    kad: { client: client.kad, server: server.kad },
    moved: { client: moved('client'), server: moved('server') },
  };
}

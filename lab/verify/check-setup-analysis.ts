/**
 * What `kad analyze --json` says about a set-up scenario's captures, one
 * capture at a time, against the ground truth, in the terms of issue 24's
 * contract: connections[].setup {synRetransmissions, synAckRetransmissions,
 * setupS}, connections[].handshakeRttS (the final exchange only) and
 * diagnoses[].setup {kind, confidence, summary, evidence}.
 */
import type { ConnectionDiagnosis, ConnectionReport, FileReport } from '../../src/model/analysis-report.js';
import type { Edge, LabTruth } from '../truth.js';
import type { ConnectionSetup, SetupVerdict } from '../setup/contract.js';
import { inGroup, inRange, rangeText } from '../setup/group-match.js';
import type { SetupGroup } from '../setup/setup-truth.js';
import { Checks, EDGES, everyConnection, endpointText, type Check } from './check.js';

/** The report's connection and diagnosis as the contract extends them. */
type WithSetup = ConnectionReport & { setup?: ConnectionSetup };
type DiagnosisWithSetup = ConnectionDiagnosis & { setup?: SetupVerdict | null };

/** Every handshake here crosses two veths: an RTT this long spans a retry, not one exchange. */
const LAB_RTT_MAX_S = 0.2;

export function checkSetupAnalysis(truth: LabTruth, reports: Record<Edge, FileReport>): Check[] {
  const c = new Checks();
  for (const edge of EDGES) {
    const file = reports[edge];
    c.eq(edge, 'capture read to its end', file.error, null);
    for (const g of truth.setup?.groups ?? []) checkGroup(c, g, edge, file);
  }
  return c.list;
}

/** The set-up verdict kad gave each of a group's connections at one edge (null: none). */
export function verdictsOf(g: SetupGroup, file: FileReport): Array<SetupVerdict | null> {
  return groupConns(g, file).map((k) => verdictOf(file, k));
}

function groupConns(g: SetupGroup, file: FileReport): WithSetup[] {
  return file.connections.filter((k) => inGroup(g, k.client, k.server.port, Number(k.start) * 1000));
}

function verdictOf(file: FileReport, k: ConnectionReport): SetupVerdict | null {
  const d = file.diagnoses.find((x) => x.conn === k.id) as DiagnosisWithSetup | undefined;
  return d?.setup ?? null;
}

function checkGroup(c: Checks, g: SetupGroup, edge: Edge, file: FileReport): void {
  const tag = `${g.role}:`;
  const conns = groupConns(g, file);
  const kind = g.kind[edge];
  if (kind === 'unseen') {
    c.eq(edge, `${tag} no connection in this capture`, conns.length, 0);
    return;
  }
  if (g.ports !== null) c.eq(edge, `${tag} connections`, conns.map((k) => k.client.port).sort(), [...g.ports].sort());
  else c.atLeast(edge, `${tag} connections`, conns.length, 1);

  const every = everyConnection(c, edge, tag, conns, (k) => endpointText(k.client));
  every('connections[].setup present', 'an object', (k) => (k.setup ? null : 'absent'));
  const count = (what: string, range: { min: number; max: number } | null, pick: (s: ConnectionSetup) => number): void => {
    if (range)
      every(what, rangeText(range), (k) =>
        k.setup && inRange(pick(k.setup), range) ? null : String(k.setup ? pick(k.setup) : 'no setup'),
      );
  };
  count('setup.synRetransmissions', g.synRetransmissions[edge], (s) => s.synRetransmissions);
  count('setup.synAckRetransmissions', g.synAckRetransmissions[edge], (s) => s.synAckRetransmissions);
  const completes = g.completes[edge];
  if (completes !== null) {
    every(
      `setup.setupS ${completes ? 'set' : 'null'} (handshake ${completes ? 'completed' : 'never completed'})`,
      completes ? 'a number' : 'null',
      (k) => (k.setup && (k.setup.setupS !== null) === completes ? null : String(k.setup?.setupS)),
    );
    if (completes) {
      every(`handshakeRttS of the final exchange only (< ${LAB_RTT_MAX_S} s, ≤ setupS)`, `< ${LAB_RTT_MAX_S}`, (k) =>
        k.handshakeRttS !== null && k.handshakeRttS < LAB_RTT_MAX_S && (k.setup?.setupS ?? Infinity) >= k.handshakeRttS - 1e-6
          ? null
          : `${k.handshakeRttS} (setupS ${k.setup?.setupS})`,
      );
    }
  }
  const setupS = g.setupS[edge];
  if (setupS) every('setup.setupS', rangeText(setupS), (k) => (inRange(k.setup?.setupS, setupS) ? null : String(k.setup?.setupS)));

  if (kind === 'any') {
    every(`diagnoses[].setup.kind not one of ${g.wrongKinds.join(', ')}`, 'another kind or none', (k) => {
      const v = verdictOf(file, k);
      return v && g.wrongKinds.includes(v.kind) ? v.kind : null;
    });
    return;
  }
  every(`diagnoses[].setup.kind`, kind ?? 'no set-up verdict', (k) => {
    const v = verdictOf(file, k);
    return (v?.kind ?? null) === kind ? null : (v?.kind ?? 'no set-up verdict');
  });
  if (kind === null) return;
  every('verdict confidence in (0, 1], a summary and evidence', 'all three', (k) => {
    const v = verdictOf(file, k);
    return v && v.confidence > 0 && v.confidence <= 1 && v.summary.length > 0 && v.evidence.length > 0 ? null : JSON.stringify(v);
  });
  if (kind === 'listen-overflow') {
    const server = endpointText(g.server);
    every(`summary names the listener ${server} and the remedy (somaxconn, listen() backlog)`, 'both', (k) => {
      const s = verdictOf(file, k)?.summary ?? '';
      return s.includes(server) && s.includes('somaxconn') && s.includes('listen() backlog') ? null : s || 'no summary';
    });
  }
}

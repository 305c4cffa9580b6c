import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/analyze-capture.js';
import { diagnoseCapture, type CaptureDiagnosis } from '../../src/diagnose/diagnose-capture.js';
import { compareCaptures } from '../../src/diagnose/two-sided.js';
import type { ResetVerdict } from '../../src/model/analysis-report.js';

type Edge = 'client' | 'server';

/** The parts of a lab truth file (lab/truth.ts) that verdicts are checked against. */
interface Truth {
  scenario: string;
  firewall: { idleTimeoutS: number; action: string };
  captures: Record<Edge, string>;
  connections: Array<{
    resets: Array<{ sentBy: 'middlebox' | 'peer' | 'local-stack'; host: string; from: Edge; seenAt: Edge[] }>;
    staleFlowHits: Array<{ from: Edge; kind: string; fate: string }>;
  }>;
}

export function readTruth(file: string): Truth {
  return JSON.parse(readFileSync(file, 'utf8')) as Truth;
}

/** What the attribution should read at `edge` for a RST really sent by `sentBy` on `host`. */
function expected(r: Truth['connections'][0]['resets'][0], edge: Edge): string {
  if (r.sentBy === 'middlebox') return 'middlebox';
  // A genuine RST is the local stack's where it was sent, the peer's everywhere else.
  return r.host === edge ? 'local-stack' : 'peer';
}

/**
 * From one capture alone, a socketless RST (the peer's stack for a socket it
 * lost, or a middlebox copying the peer's TTL) cannot be attributed: `unknown`
 * with the socketless evidence and what would decide it is the right answer
 * there; both captures together must still decide it.
 */
function honestUnknown(v: ResetVerdict): boolean {
  return v.attribution === 'unknown' && v.evidence.some((e) => e.signal === 'socketless' && e.caveat !== undefined);
}

/**
 * Analyse a scenario's client-edge and server-edge captures together and list
 * every way the diagnosis disagrees with the lab's ground truth.
 */
export async function verdictMismatches(dir: string, truthFile: string, opts: { twoSided?: boolean } = {}): Promise<string[]> {
  const truth = readTruth(join(dir, truthFile));
  const edges: Edge[] = ['client', 'server'];
  const analyses = await Promise.all(edges.map((e) => analyzeCapture(join(dir, truth.captures[e]))));
  let diag: CaptureDiagnosis[];
  if (opts.twoSided === false) diag = analyses.map((a) => diagnoseCapture(a));
  else {
    const two = compareCaptures(analyses[0]!, analyses[1]!);
    diag = analyses.map((a, i) => diagnoseCapture(a, two.cross[i]));
  }
  const out: string[] = [];
  const tag = `${truth.scenario}${opts.twoSided === false ? ' (one capture at a time)' : ''}`;
  const truthResets = truth.connections.flatMap((c) => c.resets);
  edges.forEach((edge, i) => {
    const verdicts = diag[i]!.diagnoses.flatMap((d) => d.resets);
    for (const r of truthResets) {
      if (!r.seenAt.includes(edge)) continue;
      const v = verdicts.find((x) => x.claimedSender === r.from);
      if (!v) out.push(`${tag} ${edge} edge: no verdict for the RST from the ${r.from}`);
      else if (v.attribution !== expected(r, edge) && !(opts.twoSided === false && honestUnknown(v))) {
        out.push(
          `${tag} ${edge} edge: RST frame ${v.frame} from the ${r.from} attributed to ${v.attribution}, truth ${expected(r, edge)} (${r.sentBy} on ${r.host})`,
        );
      }
    }
    // Never call a genuine RST forged.
    for (const v of verdicts) {
      if (v.attribution === 'middlebox' && !truthResets.some((r) => r.sentBy === 'middlebox' && r.from === v.claimedSender)) {
        out.push(
          `${tag} ${edge} edge: RST frame ${v.frame} called middlebox, but the lab's resets from the ${v.claimedSender} were genuine`,
        );
      }
    }
    // Packets the firewall dropped: the sender's edge must show an unanswered silence.
    for (const hit of truth.connections.flatMap((c) => c.staleFlowHits)) {
      if (hit.fate !== 'dropped' || hit.from !== edge) continue;
      const drop = diag[i]!.diagnoses.find((d) => d.silentDrop?.sender === edge)?.silentDrop;
      if (!drop) out.push(`${tag} ${edge} edge: the ${edge}'s dropped ${hit.kind} is not reported as a silent drop`);
      else if (opts.twoSided !== false && drop.kind !== 'black-hole')
        out.push(`${tag} ${edge} edge: silent drop called ${drop.kind}, truth: black hole (the firewall dropped them)`);
    }
    // The idle-timeout bracket must contain the firewall's real timeout.
    for (const t of diag[i]!.idleTimeouts) {
      const T = truth.firewall.idleTimeoutS;
      if (!(t.consistent && (t.survivedMaxS ?? 0) < T && T <= t.diedMinS! + 1e-9)) {
        out.push(`${tag} ${edge} edge: idle-timeout bracket (${t.survivedMaxS}, ${t.diedMinS}] does not contain the firewall's ${T} s`);
      }
    }
  });
  return out;
}

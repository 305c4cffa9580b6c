import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AnalysisReport, PathIdleTimeout } from '../src/model/analysis-report.js';
import { DEFAULT_TOLERATED_LOSSES, solveKeepalive } from '../src/recommend/keepalive-solver.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { REPO, runKad } from './helpers/run-kad.js';
import { TcpScript } from './helpers/tcp-script.js';

// The keepalive recommendation per path is decided once, while the report is
// built: --json carries it, and the text and HTML reports only word it. These
// check it against what the solver itself says for the path's bracket.

const dir = mkdtempSync(join(tmpdir(), 'kad-json-rec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000_000_000n;
const SERVER = { addr: '198.51.100.10', port: 5432 };
const byTime = (x: TcpSpec, y: TcpSpec): number => (x.tsNs < y.tsNs ? -1 : x.tsNs > y.tsNs ? 1 : 0);

/** Connections to SERVER that each come through one idle period of `survivedS`, and one per `diedS` that a silent drop ends. */
function capture(name: string, survivedS: number[], diedS: number[]): string {
  const pkts: TcpSpec[] = [];
  let port = 40000;
  for (const idle of survivedS) {
    const s = new TcpScript({ addr: '192.0.2.10', port: port++ }, SERVER, [1000 + port, 5000], T0, pkts);
    s.handshake().send(0, 10).ack(1).wait(idle).keepalive(0).ack(1).wait(1).send(0, 10).ack(1).fin(0).fin(1).ack(0);
  }
  for (const idle of diedS) {
    const s = new TcpScript({ addr: '192.0.2.10', port: port++ }, SERVER, [2000 + port, 6000], T0, pkts);
    s.handshake().send(0, 10).ack(1).wait(idle).keepalive(0).wait(75).keepalive(0).wait(75).keepalive(0).wait(75);
  }
  const file = join(dir, `${name}.pcap`);
  writeFileSync(file, buildPcap(pkts.sort(byTime), { link: 'ether', nano: true }));
  return file;
}

function onlyPath(file: string): PathIdleTimeout {
  const r = runKad(['analyze', '--json', file]);
  assert.equal(r.status, 0, r.stderr);
  const paths = (JSON.parse(r.stdout) as AnalysisReport).files[0]!.idleTimeouts;
  assert.equal(paths.length, 1, 'one path with an idle timeout');
  return paths[0]!;
}

/** What the solver says for a path timeout: its setting, or the message it refuses with. */
function solver(pathTimeoutS: number): { solution: ReturnType<typeof solveKeepalive> } | { refusal: string } {
  try {
    return { solution: solveKeepalive({ pathTimeoutS, toleratedLosses: DEFAULT_TOLERATED_LOSSES, detectWithinS: null }) };
  } catch (err) {
    return { refusal: (err as Error).message };
  }
}

/** The recommendation in --json is the solver's answer for the bracket's safe end, and the text report words that very one. */
function checkRecommended(file: string, t: PathIdleTimeout, provenSafe: boolean): void {
  assert.equal(t.consistent, true);
  const sizedForS = provenSafe ? t.survivedMaxS! : t.diedMinS!;
  const said = solver(sizedForS);
  assert.ok('solution' in said, `the solver sizes ${sizedForS} s`);
  const sol = said.solution;
  assert.deepEqual(t.recommendation, {
    sizedForS,
    provenSafe,
    toleratedLosses: sol.toleratedLosses,
    keepalive: sol.keepalive,
    userTimeoutMs: sol.userTimeoutMs,
    detectionS: sol.detectionS,
  });
  assert.equal(t.noRecommendationReason, null);
  const text = runKad(['analyze', file]).stdout;
  const k = sol.keepalive;
  assert.ok(text.includes(`recommendation: TCP keepalive time ${k.timeS} s, interval ${k.intervalS} s, ${k.probes} probes`), text);
  assert.ok(text.includes(`kad recommend --idle-timeout ${Math.floor(sizedForS)}s`), text);
}

test('--json: a bundled capture whose connection died of idleness, with none surviving, is sized on the period that died', () => {
  const file = join(REPO, 'captures/fw-reset-keepalive.server.pcap');
  const t = onlyPath(file);
  assert.equal(t.survivedMaxS, null);
  const truth = JSON.parse(readFileSync(join(REPO, 'captures/fw-reset-keepalive.truth.json'), 'utf8')) as {
    firewall: { idleTimeoutS: number };
  };
  assert.ok(t.diedMinS! >= truth.firewall.idleTimeoutS, 'the bracket holds the firewall timeout');
  checkRecommended(file, t, false);
});

test('--json: with idle periods survived, the recommendation is sized on the longest of them', () => {
  const file = capture('bracket', [200, 300], [350]);
  const t = onlyPath(file);
  assert.ok(t.survivedMaxS !== null && t.survivedMaxS < t.diedMinS!, `bracket ${t.survivedMaxS} < T ≤ ${t.diedMinS}`);
  checkRecommended(file, t, true);
});

test("--json: a timeout too short for keepalive has no recommendation, and the solver's reason", () => {
  const file = capture('short', [1.5], [3]);
  const t = onlyPath(file);
  const said = solver(t.survivedMaxS!);
  assert.ok('refusal' in said, 'the solver refuses');
  assert.equal(t.recommendation, null);
  assert.equal(t.noRecommendationReason, said.refusal);
  assert.ok(runKad(['analyze', file]).stdout.includes(`recommendation: ${said.refusal}`));
});

test('--json: an inconsistent bracket has no recommendation, and says why', () => {
  const t = onlyPath(capture('inconsistent', [400], [350]));
  assert.equal(t.consistent, false);
  assert.equal(t.recommendation, null);
  assert.match(t.noRecommendationReason ?? '', /no single idle timeout/);
});

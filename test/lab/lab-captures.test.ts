/**
 * The lab captures committed in captures/ still agree with their ground
 * truth (as tshark and as `kad analyze` read them), and the checks that say
 * so can fail. Needs no root: the captures are files.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { captureNames } from '../../lab/run-scenario.js';
import { SCENARIOS } from '../../lab/scenarios/index.js';
import type { LabTruth } from '../../lab/truth.js';
import { checkAnalysis } from '../../lab/verify/check-analysis.js';
import { formatChecks, type Check } from '../../lab/verify/check.js';
import { kadAnalyze } from '../../lab/verify/kad-analyze.js';
import { readFrames, TCP } from '../../lab/verify/tshark-frames.js';
import { readTruth, verifyAnalysis, verifyCaptures } from '../../lab/verify/verify-output.js';
import { labSkip } from '../helpers/lab-gate.js';

const CAPTURES = fileURLToPath(new URL('../../../captures/', import.meta.url));
const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });

function assertChecks(title: string, checks: Check[]): void {
  const failed = checks.filter((c) => !c.ok);
  assert.ok(checks.length > 0, `${title}: no checks ran`);
  assert.equal(failed.length, 0, formatChecks(`${title}: ${failed.length} of ${checks.length} checks failed`, failed));
}

test('captures/ holds both edges and the truth of every scenario, and the README lists each file', () => {
  const readme = readFileSync(join(CAPTURES, 'README.md'), 'utf8');
  for (const s of SCENARIOS) {
    for (const f of Object.values(captureNames(s.name))) {
      assert.ok(existsSync(join(CAPTURES, f)), `missing captures/${f}`);
    }
  }
  for (const f of readdirSync(CAPTURES).filter((n) => n !== 'README.md')) {
    assert.ok(readme.includes(`\`${f}\``), `captures/README.md does not list ${f}`);
  }
});

test("the default capture shows the server's keepalive probe answered by the forged RST", { skip: noTshark }, async () => {
  const frames = await readFrames(join(CAPTURES, 'fw-reset-keepalive.server.pcap'));
  const probe = frames.findIndex((f) => f.keepAlive);
  assert.ok(probe >= 0, 'no keepalive probe');
  const rst = frames[probe + 1];
  assert.ok(rst && (rst.flags & TCP.RST) !== 0, 'the probe is not followed by a RST');
  assert.equal(rst.ttl, 64, 'the RST comes from the firewall, one hop closer than the client');
  assert.ok(frames.filter((f) => f.src === rst.src && rst !== f).every((f) => f.ttl === 63));
});

for (const s of SCENARIOS) {
  test(`captures/${s.name}: tshark and kad analyze agree with the truth`, { skip: noTshark }, async (t) => {
    const truth = await readTruth(CAPTURES, s.name);
    await t.test('captures vs truth (tshark)', async () => assertChecks(s.name, await verifyCaptures(CAPTURES, truth)));
    await t.test('kad analyze --json vs truth', async () => assertChecks(s.name, await verifyAnalysis(CAPTURES, truth)));
  });
}

test('the analysis checks fail when the truth is wrong', async () => {
  const truth = await readTruth(CAPTURES, 'fw-reset-keepalive');
  const reports = {
    client: await kadAnalyze(join(CAPTURES, truth.captures.client)),
    server: await kadAnalyze(join(CAPTURES, truth.captures.server)),
  };
  const failing = (mutate: (t: LabTruth) => void): string[] => {
    const wrong = structuredClone(truth);
    mutate(wrong);
    return checkAnalysis(wrong, reports)
      .filter((c) => !c.ok)
      .map((c) => `[${c.edge}] ${c.what}`);
  };
  assert.deepEqual(
    failing(() => {}),
    [],
  );
  // Claim the RST was the real client's: the TTL says otherwise.
  assert.ok(
    failing((w) => (w.connections[0]!.resets[0]!.sentBy = 'peer')).includes('[server] every client packet at one TTL, RSTs included'),
  );
  // Claim the client saw the reset too: its capture has no RST.
  assert.ok(failing((w) => (w.connections[0]!.resets[0]!.seenAt = ['client', 'server'])).includes("[client] RSTs in the client's name"));
  assert.ok(failing((w) => (w.connections[0]!.edges.client.ended = 'reset')).includes('[client] ended.kind'));
  // Claim the probe came after 9 s of silence.
  assert.ok(failing((w) => (w.connections[0]!.staleFlowHits[0]!.idleS = 9)).some((f) => f.startsWith('[server] longest idle')));
});

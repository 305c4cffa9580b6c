/**
 * Issue 24's set-up failures on real stacks, back to back: each scenario of
 * lab/scenarios/setup/ is played with both edges captured, then held against
 * its ground truth three ways:
 *  - the kernels' own figures (counter deltas in each namespace, the
 *    listener's queue, backlog and half-open connections as kad reads them,
 *    the firewall's counters): proof the scenario did what its truth says;
 *  - the captures as tshark decodes them (SYN and SYN-ACK retransmissions,
 *    handshakes, each kind's packet signature): proof the captures show it;
 *  - `kad analyze --json` of each capture alone: connections[].setup and
 *    diagnoses[].setup as issue 24's contract defines them.
 * The last one depends on the set-up verdicts (another branch); the first
 * two hold on their own. The verdicts and counters go to a results file
 * that lab/write-setup-table.js turns into the README's table.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { runScenario } from '../../lab/run-scenario.js';
import { SETUP_SCENARIOS } from '../../lab/scenarios/setup/index.js';
import { SETUP_RESULTS_SCHEMA, setupResult, type SetupResult } from '../../lab/setup/setup-results.js';
import type { LabTruth } from '../../lab/truth.js';
import { formatChecks, type Check } from '../../lab/verify/check.js';
import { checkSetupAnalysis } from '../../lab/verify/check-setup-analysis.js';
import { checkSetupKernel } from '../../lab/verify/check-setup-kernel.js';
import { analyzeEdges, verifySetupCaptures } from '../../lab/verify/verify-output.js';
import { labSkip } from '../helpers/lab-gate.js';
import { namespacesLeft } from '../helpers/namespaces-left.js';
import { REPO } from '../helpers/run-kad.js';

const skip = labSkip(import.meta.url, { lab: true, tools: ['tshark'] });
/** Where the results go for lab/write-setup-table.js; override with KAD_SETUP_RESULTS. */
const RESULTS = process.env.KAD_SETUP_RESULTS ?? join(tmpdir(), 'kad-setup-lab-results.json');

function assertChecks(title: string, checks: Check[]): void {
  assert.ok(checks.length > 0, `${title}: no checks ran`);
  const failed = checks.filter((c) => !c.ok);
  assert.equal(failed.length, 0, formatChecks(`${title}: ${failed.length} of ${checks.length} checks failed`, failed));
}

function commit(): string | null {
  try {
    return execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

test('issue 24 set-up scenarios: kernels, captures and kad analyze against the ground truth', { skip, timeout: 180_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kad-setup-lab-'));
  const cleanup = new Cleanup();
  const results: SetupResult[] = [];
  const prefix = `kad-${process.pid}-`;
  try {
    for (const spec of SETUP_SCENARIOS) {
      await t.test(spec.name, async (st) => {
        const t0 = Date.now();
        let truth: LabTruth;
        try {
          truth = await runScenario(spec, out, cleanup, () => {});
        } finally {
          const failures = await cleanup.run();
          assert.deepEqual(failures, [], 'cleanup failed');
          assert.deepEqual(namespacesLeft(prefix), [], 'the lab left namespaces behind');
        }
        st.diagnostic(`${spec.name}: lab run ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        await st.test('kernel counters, listener and firewall vs truth', () => assertChecks(spec.name, checkSetupKernel(truth)));
        await st.test('captures vs truth (tshark)', async () => assertChecks(spec.name, await verifySetupCaptures(out, truth)));
        const reports = await analyzeEdges(out, truth);
        results.push(setupResult(truth, reports));
        await st.test('kad analyze --json set-up verdicts vs truth (issue 24 contract)', () =>
          assertChecks(spec.name, checkSetupAnalysis(truth, reports)),
        );
      });
    }
  } finally {
    await cleanup.run();
    rmSync(out, { recursive: true, force: true });
    writeFileSync(RESULTS, `${JSON.stringify({ schema: SETUP_RESULTS_SCHEMA, commit: commit(), results }, null, 2)}\n`);
    t.diagnostic(`results for lab/write-setup-table.js: ${RESULTS}`);
  }
  assert.equal(results.length, SETUP_SCENARIOS.length, 'every scenario ran to its verdicts');
});

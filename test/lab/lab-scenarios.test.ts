/**
 * Every lab scenario end to end on live kernels: build the namespaces and the
 * firewall, play the scenario with tcpdump on both edges, then hold the
 * captures against the lab's ground truth, first as tshark decodes them (is
 * the lab right?), then as `kad analyze --json` does (is the analyzer right?),
 * then the verdicts (who sent each RST, silent drops, the idle-timeout bracket)
 * and each packet's kind against tshark.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SCENARIOS } from '../../lab/scenarios/index.js';
import { formatChecks, type Check } from '../../lab/verify/check.js';
import { readTruth, verifyAnalysis, verifyCaptures } from '../../lab/verify/verify-output.js';
import { compareWithTshark } from '../helpers/tshark-oracle.js';
import { verdictMismatches } from '../helpers/verdict-check.js';
import { labSkip } from '../helpers/lab-gate.js';

const RUN_LAB = fileURLToPath(new URL('../../lab/run-lab.js', import.meta.url));
const skip = labSkip(import.meta.url, { lab: true, tools: ['tshark'] });

function runLab(args: string[]): Promise<{ code: number | null; pid: number | undefined; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [RUN_LAB, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, pid: child.pid, stdout, stderr });
    });
  });
}

function labNamespaces(pid: number | undefined): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith(`kad-${pid}-`));
}

function assertChecks(title: string, checks: Check[]): void {
  assert.ok(checks.length > 0, `${title}: no checks ran`);
  const failed = checks.filter((c) => !c.ok);
  assert.equal(failed.length, 0, formatChecks(`${title}: ${failed.length} of ${checks.length} checks failed`, failed));
}

for (const spec of SCENARIOS) {
  test(`lab scenario ${spec.name}: captures and kad analyze agree with the ground truth`, { skip }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), `kad-lab-test-${spec.name}-`));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const t0 = Date.now();
    const run = await runLab([spec.name, '--out', out]);
    t.diagnostic(`${spec.name}: lab run ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(run.code, 0, `lab run failed:\n${run.stdout}${run.stderr}`);
    assert.deepEqual(labNamespaces(run.pid), [], 'the lab left namespaces behind');
    const truth = await readTruth(out, spec.name);
    assert.equal(truth.scenario, spec.name);

    await t.test('captures vs truth (tshark)', async () => assertChecks(spec.name, await verifyCaptures(out, truth)));
    await t.test('kad analyze --json vs truth', async () => assertChecks(spec.name, await verifyAnalysis(out, truth)));
    await t.test('reset attribution, silent drops and idle timeout vs truth', async () => {
      assert.deepEqual(await verdictMismatches(out, `${spec.name}.truth.json`), []);
      assert.deepEqual(await verdictMismatches(out, `${spec.name}.truth.json`, { twoSided: false }), []);
    });
    await t.test('every packet classified as tshark does', () => {
      for (const edge of ['client', 'server'] as const) assert.deepEqual(compareWithTshark(join(out, truth.captures[edge])), []);
    });
  });
}

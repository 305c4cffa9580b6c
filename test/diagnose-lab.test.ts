import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAB_SCENARIOS } from './helpers/lab-captures.js';
import { REPO } from './helpers/run-kad.js';
import { readTruth, verdictMismatches } from './helpers/verdict-check.js';

const CAPTURES = join(REPO, 'captures');
const truthFiles = readdirSync(CAPTURES).filter((f) => f.endsWith('.truth.json'));

test('the bundled lab captures cover every scenario of the issue', () => {
  const scenarios = truthFiles.map((f) => readTruth(join(CAPTURES, f)).scenario);
  for (const s of LAB_SCENARIOS) {
    assert.ok(scenarios.includes(s), `missing ${s}`);
  }
});

test('verdicts match the lab ground truth with both captures of each scenario', async () => {
  const mismatches = (await Promise.all(truthFiles.map((f) => verdictMismatches(CAPTURES, f)))).flat();
  assert.deepEqual(mismatches, []);
});

test('verdicts match the lab ground truth from each capture alone', async () => {
  const mismatches = (await Promise.all(truthFiles.map((f) => verdictMismatches(CAPTURES, f, { twoSided: false })))).flat();
  assert.deepEqual(mismatches, []);
});

test('verdicts are stable: every bundled capture gives the same verdicts every time', async () => {
  const { analyzeCapture } = await import('../src/analyze/analyze-capture.js');
  const { diagnoseCapture } = await import('../src/diagnose/diagnose-capture.js');
  for (const f of readdirSync(CAPTURES).filter((x) => x.endsWith('.pcap'))) {
    const once = diagnoseCapture(await analyzeCapture(join(CAPTURES, f)));
    const again = diagnoseCapture(await analyzeCapture(join(CAPTURES, f)));
    assert.deepEqual([again.diagnoses, again.idleTimeouts], [once.diagnoses, once.idleTimeouts], f);
  }
});

test('verdicts decided without words are the same verdicts, and explaining one gives the worded diagnosis', async () => {
  const { analyzeCapture } = await import('../src/analyze/analyze-capture.js');
  const { diagnoseCapture } = await import('../src/diagnose/diagnose-capture.js');
  let explained = 0;
  for (const f of readdirSync(CAPTURES).filter((x) => x.endsWith('.pcap'))) {
    const a = await analyzeCapture(join(CAPTURES, f));
    const full = diagnoseCapture(a);
    const light = diagnoseCapture(a, undefined, { explain: false });
    assert.deepEqual(light.idleTimeouts, full.idleTimeouts, f);
    const decided = (d: (typeof full.diagnoses)[number]) => ({
      conn: d.conn,
      path: d.path,
      resets: d.resets.map((r) => [r.frame, r.attribution, r.confidence, r.trigger]),
      drop: d.silentDrop && { ...d.silentDrop, evidence: [] },
    });
    assert.deepEqual(light.diagnoses.map(decided), full.diagnoses.map(decided), f);
    for (const d of light.diagnoses) {
      assert.equal(d.verdict, '', `${f} #${d.conn}: a verdict decided without words has none`);
      assert.deepEqual(
        light.explainConnection(d.conn),
        full.diagnoses.find((x) => x.conn === d.conn),
        `${f} #${d.conn}`,
      );
      explained++;
    }
  }
  assert.ok(explained >= 5, `only ${explained} diagnoses in the bundled captures`);
});

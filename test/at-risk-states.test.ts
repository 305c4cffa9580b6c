/**
 * The timeout estimate of a path (unknown, bracketed, given) and the
 * judgments it allows, case by case: each case is one that an earlier rule
 * got wrong or that a careless change would (issue 19: a keepalive that
 * itself died counted as "in time"; "ok" shown with nothing known).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { statedTimeout } from '../src/cli/given-timeout.js';
import type { ConnectionReport, IdleTimeoutInference } from '../src/model/analysis-report.js';
import { UserError } from '../src/model/errors.js';
import { PRESETS, shortestCommonDefault } from '../src/recommend/presets.js';
import {
  AT_RISK_FRACTION,
  judgeRisk,
  openByTimeoutState,
  pathTimeout,
  riskContext,
  timeoutState,
  UNVERIFIED,
  type Silence,
  type StatedTimeout,
} from '../src/sockets/at-risk.js';

const PATH = '198.51.100.10:5432';

function inference(survivedMaxS: number | null, diedMinS: number | null, path = PATH): IdleTimeoutInference {
  return {
    path,
    connections: 2,
    survivedMaxS,
    survived: survivedMaxS === null ? 0 : 1,
    diedMinS,
    died: diedMinS === null ? 0 : 1,
    consistent: true,
    matches: [],
  };
}

/** A silence on PATH: idle `idleS`, this host's next keepalive probe due in `dueS` (null: no socket seen). */
function silence(idleS: number, dueS: number | null, known: IdleTimeoutInference[], stated?: StatedTimeout): Silence {
  return {
    idleS,
    idleFrom: 'socket',
    timeout: pathTimeout([PATH], known, stated),
    keepalive: dueS === null ? 'unknown' : { dueS },
    unansweredProbes: 0,
    silentDrop: false,
  };
}

const kind = (s: Silence): string | null => judgeRisk(s)?.kind ?? null;

test('the estimate: unknown, bracketed from the traffic, or given; a flow that died sooner overrules what was given', () => {
  assert.equal(timeoutState(pathTimeout([PATH], [], undefined)), 'unknown');
  assert.equal(timeoutState(pathTimeout([PATH], [inference(30, null)], undefined)), 'unknown', 'survivals alone bound nothing');
  const diedOnly = pathTimeout([PATH], [inference(null, 12)]);
  assert.deepEqual([diedOnly?.state, diedOnly?.lowS, diedOnly?.highS, diedOnly?.timeoutS], ['bracketed', null, 12, 12]);
  const both = pathTimeout([PATH], [inference(5, 12)]);
  assert.deepEqual([both?.lowS, both?.highS, both?.timeoutS], [5, 12, 5], 'judged against the lower end');
  assert.equal(pathTimeout([PATH], [{ ...inference(20, 12), consistent: false }])?.lowS, null, 'an inconsistent bracket has no lower end');
  assert.equal(pathTimeout(['203.0.113.9:443'], [inference(5, 12)]), null, "another path's bracket says nothing of this one");
  const given = pathTimeout([PATH], [inference(5, 12)], 10);
  assert.deepEqual([given?.state, given?.timeoutS, given?.from], ['given', 10, '--idle-timeout']);
  assert.equal(pathTimeout([PATH], [inference(5, 12)], 30)?.state, 'bracketed', 'a flow died at 12 s: 30 s cannot be right');
  const probe = pathTimeout([PATH], [], { lowS: 6, highS: 9, from: 'kad probe' });
  assert.deepEqual([probe?.state, probe?.lowS, probe?.highS, probe?.timeoutS], ['given', 6, 9, 6]);
});

test("issue 19's case: T ≤ 12 s inferred from a 12 s keepalive that died; that keepalive is not in time", () => {
  const known = [inference(null, 12)];
  // 11.5 s idle, the server's probe due in 0.5 s: it reaches the path at 12 s, where a flow already died.
  assert.notEqual(kind(silence(11.5, 0.5, known)), null);
  // Early on (3 s, before the lab firewall's real 8 s), the same socket: its probe comes at 12 s, too late for any T ≤ 12 s.
  assert.equal(kind(silence(3, 9, known)), 'late-keepalive');
  // Not while the connection is busy: its timer re-arms with each packet.
  assert.equal(kind(silence(1, 11, known)), null);
  // A probe well before the only death seen may be in time: nothing says otherwise.
  assert.equal(kind(silence(10, 0.5, known)), null);
  // Within kad recommend's slack of it (1 s at 12 s), it is the probe that died.
  assert.equal(kind(silence(10, 1, known)), 'idle');
  // The capture measured the fatal silence a hair short of the 12 s timer: the same setting is still late.
  assert.equal(kind(silence(3, 9, [inference(null, 11.998)])), 'late-keepalive');
  // No socket: only the idle rule, against the death seen.
  assert.equal(kind(silence(9, null, known)), null);
  assert.equal(kind(silence(9.7, null, known)), 'idle');
});

test('a bracket is judged at its lower end: a probe after the longest survived idle is not known to be in time', () => {
  const known = [inference(5, 12)];
  assert.equal(kind(silence(3.9, null, known)), null);
  assert.equal(kind(silence(4, null, known)), 'idle', `${AT_RISK_FRACTION} × 5 s`);
  assert.equal(kind(silence(4, 1, known)), null, 'a probe at 5 s: such an idle survived');
  assert.equal(kind(silence(4, 2, known)), 'idle', 'a probe at 6 s: T may be 5.1 s');
});

test('a given timeout: --idle-timeout, --behind, --timeout-from', () => {
  assert.equal(kind(silence(6.3, null, [], 8)), null);
  assert.equal(kind(silence(6.4, null, [], 8)), 'idle');
  assert.equal(kind(silence(6.5, 1.5, [], 8)), null, 'a probe at 8 s refreshes an 8 s box');
  assert.equal(kind(silence(6.5, 2, [], 8)), 'idle', 'a probe at 8.5 s does not');
  assert.equal(kind(silence(2, 10, [], 8)), 'late-keepalive', 'a 12 s keepalive behind an 8 s box');
  const nat = statedTimeout({ behind: 'aws-nat-gateway' });
  assert.equal(kind(silence(279, null, [], nat)), null);
  assert.equal(kind(silence(280, null, [], nat)), 'idle');
});

test('nothing known: "unknown", and past the shortest common default "unverified", pointing at kad probe', () => {
  assert.equal(UNVERIFIED.timeoutS, 240, 'Azure, the shortest documented L4 default among the presets');
  assert.equal(kind(silence(100, null, [])), null);
  assert.equal(kind(silence(AT_RISK_FRACTION * 240, null, [])), 'unverified');
  assert.equal(kind(silence(1000, 3600, [])), 'unverified', 'a two-hour keepalive does not make it known');
  // The threshold follows the presets, not a number of its own.
  const noAzure = PRESETS.filter((p) => !p.id.startsWith('azure'));
  assert.equal(shortestCommonDefault(noAzure).timeoutS, 350);
});

test('open connections by the state of their path: the stats line of kad watch', () => {
  const c = (id: number, addr: string, kindOf: ConnectionReport['ended']['kind'] = 'open') =>
    ({ id, client: { addr: '192.0.2.10', port: 40000 + id }, server: { addr, port: 5432 }, ended: { kind: kindOf } }) as ConnectionReport;
  const conns = [c(1, '198.51.100.10'), c(2, '198.51.100.10'), c(3, '203.0.113.5'), c(4, '203.0.113.5', 'fin')];
  const view = { connections: conns, idleTimeouts: [inference(null, 12)] };
  assert.deepEqual(openByTimeoutState(conns, riskContext(view, 0)), { unknown: 1, bracketed: 2, given: 0 });
  assert.deepEqual(openByTimeoutState(conns, riskContext(view, 0, 10)), { unknown: 0, bracketed: 0, given: 3 });
});

test('--behind and --timeout-from: one line for bad input', () => {
  assert.throws(
    () => statedTimeout({ behind: 'no-such-box' }),
    (e: unknown) => e instanceof UserError && /unknown --behind preset/.test(e.message),
  );
  assert.throws(() => statedTimeout({ behind: 'haproxy' }), /has no default idle timeout/);
  const dir = mkdtempSync(join(tmpdir(), 'kad-given-'));
  try {
    const file = join(dir, 'probe.json');
    writeFileSync(
      file,
      JSON.stringify({
        tool: 'keepalive-doctor',
        target: { address: '198.51.100.10', port: 5432 },
        result: { survivedMaxS: 6, diedMinS: 9 },
      }),
    );
    assert.deepEqual(statedTimeout({ timeoutFrom: file }), { lowS: 6, highS: 9, from: `kad probe of 198.51.100.10:5432 (${file})` });
    writeFileSync(file, '{"tool":"keepalive-doctor","result":{"survivedMaxS":null,"diedMinS":null}}');
    assert.throws(() => statedTimeout({ timeoutFrom: file }), /bounded nothing/);
    writeFileSync(file, 'not json');
    assert.throws(() => statedTimeout({ timeoutFrom: file }), /not JSON/);
    assert.throws(() => statedTimeout({ timeoutFrom: join(dir, 'missing.json') }), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

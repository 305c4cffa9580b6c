import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionEndKind } from '../src/model/analysis-report.js';
import { judgeSetup, setupCanFail, type SetupFacts } from '../src/diagnose/setup-verdict.js';
import type { ResetContext } from '../src/track/reset-context.js';

// Diagnosis gathers set-up facts only when setupCanFail says a rule could
// match: a gate that says no where a rule would say yes loses a verdict
// silently. Random facts, weighted towards the values the rules test, hold
// the gate against the rules themselves.

/** A small deterministic generator (mulberry32): the same facts on every run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENDS: ConnectionEndKind[] = ['open', 'fin', 'half-closed', 'reset', 'rejected', 'no-answer'];
const CLIENT_ISN = 1000;
const SERVER_ISN = 5000;

function randomFacts(r: () => number): SetupFacts {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const small = (): number => pick([0, 0, 1, 2]);
  const resets: ResetContext[] = [];
  for (let i = pick([0, 1, 1, 2]); i > 0; i--)
    resets.push({
      conn: 0,
      frame: 10 + i,
      time: 1e9 * i,
      dir: pick([0, 1]),
      ttl: pick([46, 64]),
      ipId: pick([-1, 7]),
      window: pick([0, 512]),
      seq: pick([SERVER_ISN + 1, 9]),
      ack: pick([CLIENT_ISN + 1, 77]),
      withAck: r() < 0.5,
      hasTimestamps: false,
      payloadLen: 0,
      expectedSeq: null,
      senderLastIpId: null,
      previous: r() < 0.5 ? { frame: 3, time: 1e8, dir: pick([0, 1]), kind: 0, idleNs: null } : null,
    });
  const serverPackets = small() + resets.length;
  return {
    path: '198.51.100.1:443',
    sawSyn: r() < 0.8,
    midStream: r() < 0.1,
    established: r() < 0.5,
    synRetries: small(),
    synAckRetries: small(),
    clientIsn: CLIENT_ISN,
    serverIsn: SERVER_ISN,
    resetBeforeSynAck: r() < 0.3,
    revived: r() < 0.3,
    oddAck: r() < 0.2,
    synAckAfterAck: r() < 0.3,
    end: pick(ENDS),
    clientPayload: pick([0, 0, 100]),
    serverPayload: pick([0, 0, 1600]),
    serverPackets,
    serverRsts: resets.filter((x) => x.dir === 1).length,
    serverAckedOnlySyn: r() < 0.5,
    serverTtl: serverPackets > 0 ? { min: pick([46, 64]), max: 64 } : null,
    resets,
    serverAnswered: small(),
    firstNs: 0,
    lastNs: pick([0, 2e9]),
    captureEndNs: pick([2e9, 10e9]),
  };
}

test('no rule names a set-up failure of a reset connection where the gate says none can', () => {
  const r = generator(23);
  let closed = 0;
  let judged = 0;
  for (let i = 0; i < 200_000; i++) {
    const f = randomFacts(r);
    // Without a RST the gate admits only the RST-free failures by design: what is held here is the RST gate.
    if (f.resets.length === 0) continue;
    const open = setupCanFail({ ...f, hasReset: true });
    const v = judgeSetup(f, 1, false);
    if (v) judged++;
    if (open) continue;
    closed++;
    assert.equal(v, null, `the gate shut out a ${v?.kind} verdict: ${JSON.stringify({ ...f, resets: f.resets.length })}`);
  }
  // The draw must exercise both sides of the gate, and verdicts, or the check above proves nothing.
  assert.ok(closed > 10_000, `${closed} facts closed`);
  assert.ok(judged > 10_000, `${judged} verdicts`);
});

test('the gate stays shut only for reset connections that exchanged data past a plain handshake', () => {
  const base = {
    midStream: false,
    synAckRetries: 0,
    oddAck: false,
    end: 'reset' as ConnectionEndKind,
    resetBeforeSynAck: false,
    serverPayload: 1600,
    hasReset: true,
  };
  assert.equal(setupCanFail(base), false);
  assert.equal(setupCanFail({ ...base, serverPayload: 0 }), true, 'an opening reset or a listen overflow');
  assert.equal(setupCanFail({ ...base, end: 'rejected' }), true, 'refused');
  assert.equal(setupCanFail({ ...base, resetBeforeSynAck: true }), true, 'injected or port reuse');
  assert.equal(setupCanFail({ ...base, hasReset: false, synAckRetries: 1 }), true, 'SYN-ACK retries');
  assert.equal(setupCanFail({ ...base, hasReset: false, serverPayload: 0 }), false, 'no RST: only the RST-free rules');
  assert.equal(setupCanFail({ ...base, midStream: true, serverPayload: 0 }), false, 'mid-stream: no set-up seen');
});

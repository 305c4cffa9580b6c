import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';

// A silence is evidence of absence: nothing answered. From a source that lost
// packets, the answer may be among them, and the verdict must say so.

const DROP = new URL('../../captures/fw-drop.server.pcap', import.meta.url).pathname;

test('a silent drop from a source that lost packets carries the caveat; from a lossless one it does not', async () => {
  const analysis = await analyzeCapture(DROP);
  const evidence = (sourceLoss?: { packets: number; exact: boolean }) => {
    const drops = diagnoseCapture(analysis, undefined, { sourceLoss }).diagnoses.filter((d) => d.silentDrop);
    assert.equal(drops.length, 1);
    return drops[0]!.silentDrop!.evidence;
  };
  assert.ok(!evidence().some((e) => e.includes('caveat')), 'no loss, no caveat');
  assert.ok(!evidence({ packets: 0, exact: true }).some((e) => e.includes('caveat')), 'a count of 0 is no loss');
  assert.ok(
    evidence({ packets: 12, exact: true }).includes('caveat: the capture source lost 12 packets so far: an answer may be among them'),
  );
  assert.ok(
    evidence({ packets: 40, exact: false }).some((e) => e.includes('lost up to 40 packets')),
    'a bound is said as one',
  );
});

test('the doubt is decided without words too (the live view), and the silent-drop sentence of the verdict opens with it', async () => {
  const analysis = await analyzeCapture(DROP);
  const drop = (explain: boolean, sourceLoss?: { packets: number; exact: boolean }) =>
    diagnoseCapture(analysis, undefined, { explain, sourceLoss }).diagnoses.find((d) => d.silentDrop)!;
  assert.equal(drop(false).silentDrop!.doubt, null);
  assert.equal(
    drop(false, { packets: 3, exact: true }).silentDrop!.doubt,
    'the capture source lost 3 packets so far: an answer may be among them',
  );
  assert.match(drop(true).verdict, /\. Silent drop: /);
  assert.match(drop(true, { packets: 3, exact: true }).verdict, /\. Possible silent drop \(the capture may have missed the answer\): /);
});

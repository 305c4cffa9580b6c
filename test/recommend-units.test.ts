import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCost, PROBE_SIZES } from '../src/recommend/probe-cost.js';
import { formatBits, formatRate, groupThousands } from '../src/recommend/units.js';
import { parseCount, parseDurationSeconds } from '../src/recommend/duration.js';

// The solver's bound is checked as properties in recommend-solver.test.ts; these are
// the pieces around it, worked out by hand from the reference notes.

test('cost: 100k connections probing every 60 s (reference §5)', () => {
  const c = probeCost(100_000, 60);
  assert.equal(groupThousands(c.probesPerSecond), '1,667'); // 100000 / 60 = 1666.7
  assert.equal(formatRate(c.packetsPerSecond, 'pps'), '3.3 kpps'); // 2 · 1666.7
  const v4ts = c.variants.find((v) => v.family === 'ipv4' && v.timestamps);
  assert.ok(v4ts);
  assert.equal(v4ts.bytesPerExchange, 180); // 90 B probe + 90 B ACK on the wire
  assert.equal(v4ts.bitsPerSecond, 2_400_000); // 8 · 100000 · 180 / 60
  assert.equal(formatBits(v4ts.bitsPerSecond), '2.40 Mb/s');
  assert.equal(v4ts.frameBitsPerSecond, (8 * 100_000 * 140) / 60); // 70 B frames each way
});

test('cost: 1M connections probing every 300 s (reference §5)', () => {
  const c = probeCost(1_000_000, 300);
  assert.equal(Math.round(c.probesPerSecond), 3333);
  const v4ts = c.variants.find((v) => v.family === 'ipv4' && v.timestamps);
  assert.equal(v4ts?.bitsPerSecond, 4_800_000); // 8 · 1e6 · 180 / 300
});

test('probe sizes match the reference table', () => {
  const size = (family: string, ts: boolean) => PROBE_SIZES.find((p) => p.family === family && p.timestamps === ts);
  assert.deepEqual(pick(size('ipv4', false)), [40, 64, 84]); // padded to the 64 B minimum frame
  assert.deepEqual(pick(size('ipv4', true)), [52, 70, 90]);
  assert.deepEqual(pick(size('ipv6', true)), [72, 90, 110]);
  assert.deepEqual(pick(size('ipv6', false)), [60, 78, 98]);
});

function pick(p: { ipBytes: number; frameBytes: number; wireBytes: number } | undefined): number[] {
  assert.ok(p);
  return [p.ipBytes, p.frameBytes, p.wireBytes];
}

test('durations and counts', () => {
  assert.equal(parseDurationSeconds('350s'), 350);
  assert.equal(parseDurationSeconds('350'), 350);
  assert.equal(parseDurationSeconds('4m'), 240);
  assert.equal(parseDurationSeconds('1h'), 3600);
  assert.equal(parseDurationSeconds('1m30s'), 90);
  assert.equal(parseDurationSeconds('2.5m'), 150);
  assert.equal(parseDurationSeconds('500ms'), null);
  assert.equal(parseDurationSeconds('5x'), null);
  assert.equal(parseDurationSeconds(''), null);
  assert.equal(parseCount('100k'), 100_000);
  assert.equal(parseCount('1M'), 1_000_000);
  assert.equal(parseCount('1.5k'), 1500);
  assert.equal(parseCount('abc'), null);
});

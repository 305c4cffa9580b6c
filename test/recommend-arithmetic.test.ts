import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solveKeepalive, slackFor } from '../src/recommend/keepalive-solver.js';
import { probeCost, PROBE_SIZES } from '../src/recommend/probe-cost.js';
import { redisKeepaliveFor } from '../src/recommend/redis-keepalive.js';
import { RecommendInputError } from '../src/recommend/recommend-input-error.js';
import { formatBits, formatRate, groupThousands } from '../src/recommend/units.js';
import { parseCount, parseDurationSeconds } from '../src/recommend/duration.js';

// Every expected number below was worked out by hand from
//   ε = clamp(ceil(5 % · T), 1, 10), budget = ⌊T − ε⌋,
//   KEEPINTVL = ladder-floor(round(span / 10)), KEEPIDLE = nice-floor(budget − m·KEEPINTVL),
//   KEEPCNT = max(2, m + 1), detection = KEEPIDLE + KEEPCNT·KEEPINTVL, TCP_USER_TIMEOUT = detection in ms.

test('350 s path (AWS NAT Gateway), 2 losses: 280 / 30 / 3', () => {
  // ε = min(10, ceil(17.5)) = 10; budget 340; round(34) = 34 → ladder 30; idle 340 − 60 = 280.
  const s = solveKeepalive({ pathTimeoutS: 350, toleratedLosses: 2, detectWithinS: null });
  assert.deepEqual(s.keepalive, { timeS: 280, intervalS: 30, probes: 3 });
  assert.equal(s.slackS, 10);
  assert.ok(280 + 2 * 30 + 10 <= 350, 'idle + m·intvl + slack ≤ T');
  assert.equal(s.lastNeededProbeS, 340);
  assert.equal(s.detectionS, 280 + 3 * 30);
  assert.equal(s.userTimeoutMs, 370_000);
  assert.equal(s.limitedBy, 'path-timeout');
});

test('240 s path (Azure LB), 2 losses: 190 / 20 / 3', () => {
  // ε = min(10, 12) = 10; budget 230; round(23) → ladder 20; idle 230 − 40 = 190.
  const s = solveKeepalive({ pathTimeoutS: 240, toleratedLosses: 2, detectWithinS: null });
  assert.deepEqual(s.keepalive, { timeS: 190, intervalS: 20, probes: 3 });
  assert.ok(190 + 2 * 20 + 10 <= 240);
  assert.equal(s.detectionS, 250);
});

test('600 s path (GCP firewall), 1 loss: 540 / 45 / 2', () => {
  // ε = 10; budget 590; round(59) → ladder 45; idle 590 − 45 = 545 → nice-floor (≥ 120: tens) 540.
  const s = solveKeepalive({ pathTimeoutS: 600, toleratedLosses: 1, detectWithinS: null });
  assert.deepEqual(s.keepalive, { timeS: 540, intervalS: 45, probes: 2 });
  assert.ok(540 + 1 * 45 + 10 <= 600);
  assert.equal(s.detectionS, 630);
});

test('lab-sized 5 s firewall timeout: 2 / 1 / 3', () => {
  // ε = 1; budget 4; interval 1; idle 4 − 2 = 2.
  const s = solveKeepalive({ pathTimeoutS: 5, toleratedLosses: 2, detectWithinS: null });
  assert.deepEqual(s.keepalive, { timeS: 2, intervalS: 1, probes: 3 });
  assert.equal(s.slackS, 1);
  assert.ok(2 + 2 * 1 + 1 <= 5);
  assert.equal(s.detectionS, 5);
  assert.equal(s.userTimeoutMs, 5000);
});

test('3 s timeout: impossible with 2 losses, possible with 1', () => {
  // With m = 2 the minimum is 1 + 2·1 + 1 = 4 s > 3 s.
  assert.throws(
    () => solveKeepalive({ pathTimeoutS: 3, toleratedLosses: 2, detectWithinS: null }),
    (e: unknown) => e instanceof RecommendInputError && /too short/.test(e.message) && /--tolerate-losses 1/.test(e.message),
  );
  const s = solveKeepalive({ pathTimeoutS: 3, toleratedLosses: 1, detectWithinS: null });
  assert.deepEqual(s.keepalive, { timeS: 1, intervalS: 1, probes: 2 });
  assert.ok(1 + 1 * 1 + 1 <= 3);
});

test('timeouts below 2 s are rejected outright', () => {
  assert.throws(() => solveKeepalive({ pathTimeoutS: 1, toleratedLosses: 0, detectWithinS: null }), /1 s granularity/);
  assert.throws(() => solveKeepalive({ pathTimeoutS: 0, toleratedLosses: 2, detectWithinS: null }), /positive/);
});

test('--detect-within 60 s on a 350 s path: 45 / 5 / 3, detected in exactly 60 s', () => {
  // span = min(340, 60) = 60 → round(6) → ladder 5; idle = min(340 − 10, 60 − 15) = 45.
  const s = solveKeepalive({ pathTimeoutS: 350, toleratedLosses: 2, detectWithinS: 60 });
  assert.deepEqual(s.keepalive, { timeS: 45, intervalS: 5, probes: 3 });
  assert.equal(s.detectionS, 60);
  assert.equal(s.limitedBy, 'detection-target');
});

test('--detect-within below KEEPIDLE 1 + KEEPCNT·1 is rejected', () => {
  assert.throws(() => solveKeepalive({ pathTimeoutS: 350, toleratedLosses: 2, detectWithinS: 3 }), /fastest is KEEPIDLE 1 s \+ 3 probes × 1 s = 4 s/);
});

test('a path longer than the Linux default keeps 7200 s idle', () => {
  const s = solveKeepalive({ pathTimeoutS: 432000, toleratedLosses: 2, detectWithinS: null });
  assert.deepEqual(s.keepalive, { timeS: 7200, intervalS: 75, probes: 3 });
  assert.equal(s.limitedBy, 'kernel-default');
});

test('the bound holds for every timeout from 2 s to 2 h and 0–4 losses', () => {
  for (let T = 2; T <= 7200; T += T < 100 ? 1 : 7) {
    for (let m = 0; m <= 4; m++) {
      let s;
      try {
        s = solveKeepalive({ pathTimeoutS: T, toleratedLosses: m, detectWithinS: null });
      } catch (e) {
        assert.ok(e instanceof RecommendInputError);
        assert.ok(1 + m + slackFor(T) > T, `T=${T} m=${m} was feasible but rejected`);
        continue;
      }
      const { timeS, intervalS, probes } = s.keepalive;
      assert.ok(timeS >= 1 && intervalS >= 1 && Number.isInteger(timeS) && Number.isInteger(intervalS), `T=${T} m=${m}`);
      assert.ok(timeS + m * intervalS + s.slackS <= T, `T=${T} m=${m}: ${timeS}+${m}·${intervalS}+${s.slackS}`);
      assert.ok(probes >= m + 1 && probes >= 2);
      assert.equal(s.detectionS, timeS + probes * intervalS);
      assert.equal(s.userTimeoutMs, s.detectionS * 1000);
    }
  }
});

test('--detect-within is honoured whenever it is feasible', () => {
  for (const T of [5, 30, 240, 350, 3600]) {
    for (const D of [4, 10, 60, 300]) {
      const s = solveKeepalive({ pathTimeoutS: T, toleratedLosses: 2, detectWithinS: D });
      assert.ok(s.detectionS <= D, `T=${T} D=${D}: ${s.detectionS}`);
      assert.ok(s.keepalive.timeS + 2 * s.keepalive.intervalS + s.slackS <= T);
    }
  }
});

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

test('Redis tcp-keepalive for 350 s: 200 (interval 200/3 = 66, 3 probes)', () => {
  // budget 340: x + 2·⌊x/3⌋ ≤ 340 → largest x = 204 (204 + 136 = 340; 205 + 136 = 341); nice-floor 200.
  const r = redisKeepaliveFor(340, 2, null);
  assert.deepEqual(r, { tcpKeepaliveS: 200, intervalS: 66, probes: 3, losses: 2, detectionS: 398 });
  assert.ok(200 + 2 * 66 + 10 <= 350);
});

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

/**
 * kad's one human duration (durationText), spaced and compact: the rounding
 * edges where a value rounds up into the next unit, and what it reads back as.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSeconds } from '../src/recommend/duration.js';
import { durationText } from '../src/util/time-text.js';

/** Seconds per unit as either style spells it, and the most a part of that unit may show. */
const UNITS: Record<string, { s: number; max: number }> = {
  µs: { s: 1e-6, max: 1000 },
  ms: { s: 1e-3, max: 1000 },
  s: { s: 1, max: 60 },
  min: { s: 60, max: 60 },
  m: { s: 60, max: 60 },
  h: { s: 3600, max: 24 },
  d: { s: 86400, max: Infinity },
};

const WHOLE_STEP: Record<string, number> = { min: 1, m: 1, h: 60, d: 3600 };

function parse(text: string): Array<{ n: number; unit: string }> {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?) ?(µs|ms|min|s|m|h|d)/g)].map((m) => ({ n: Number(m[1]), unit: m[2]! }));
  assert.ok(parts.length > 0, text);
  return parts;
}

/** Values just below, at and above every place where rounding reaches the next unit. */
const EDGES = [
  0.0009994, 0.0009996, 0.009994, 0.009996, 0.99994, 0.99996, 9.994, 9.996, 59.94, 59.95, 59.6, 59.96, 60, 60.4, 119.4, 119.5, 119.6,
  3599.4, 3599.5, 3599.9, 3600, 3629.9, 3630, 86369.9, 86370, 86399.9, 86400, 90000,
];

test('no part ever reaches the size of the next unit ("60 s", "60 min", "24 h", "1000 ms")', () => {
  for (const x of EDGES) {
    for (const style of ['spaced', 'compact'] as const) {
      const text = durationText(x, style);
      const parts = parse(text);
      assert.ok(parts.length >= 1 && parts.length <= 2, `${x} → ${text}`);
      for (const p of parts) assert.ok(p.n < UNITS[p.unit]!.max, `${x} → ${text}: ${p.n} ${p.unit}`);
    }
  }
});

test('the text reads back as the value, within the precision it shows', () => {
  for (const x of [...EDGES, 0.000042, 0.25, 5.13, 12.34, 362.9, 7380, 11 * 86400 + 5 * 3600]) {
    for (const style of ['spaced', 'compact'] as const) {
      const text = durationText(x, style);
      const parts = parse(text);
      const back = parts.reduce((sum, p) => sum + p.n * UNITS[p.unit]!.s, 0);
      // Minutes are shown to the second, hours to the minute, days to the hour (a zero second part is left out); decimals to their last digit.
      const first = parts[0]!;
      const step =
        first.unit in WHOLE_STEP ? WHOLE_STEP[first.unit]! : UNITS[first.unit]!.s * 10 ** -(String(first.n).split('.')[1]?.length ?? 0);
      assert.ok(Math.abs(back - x) <= (step / 2) * (1 + 1e-9), `${x} → ${text} reads back as ${back}`);
    }
  }
});

test('the rounding edges the old formatters got wrong', () => {
  assert.equal(durationText(59.6), '59.6 s');
  assert.equal(durationText(59.96), '1 min', 'was "60.0 s"');
  assert.equal(durationText(119.4), '1 min 59 s');
  assert.equal(durationText(119.5), '2 min', 'was "1 min 60 s"');
  assert.equal(durationText(3599.9), '1 h', 'was "59 min 60 s"');
  assert.equal(durationText(86399.9), '1 d', 'was "23 h 60 min"');
  assert.equal(durationText(119.6, 'compact'), '2m', 'the timeline axis printed "1m60s"');
  assert.equal(durationText(362.9, 'compact'), '6m03s', 'the table truncated to 6m02s');
  assert.equal(durationText(59.96, 'compact'), '1m', 'the table printed "60.0s"');
});

test('the established spellings stay', () => {
  const spaced: Array<[number, string]> = [
    [0.00085, '850 µs'],
    [0.0123, '12.3 ms'],
    [0.005, '5.00 ms'],
    [4.2, '4.20 s'],
    [5.134, '5.13 s'],
    [12.34, '12.3 s'],
    [362, '6 min 2 s'],
    [7440, '2 h 4 min'],
    [97200, '1 d 3 h'],
    [-0.5, '-500.0 ms'],
  ];
  for (const [x, text] of spaced) assert.equal(durationText(x), text);
  const compact: Array<[number, string]> = [
    [0, '0s'],
    [0.00004, '40µs'],
    [0.005, '5ms'],
    [0.25, '250ms'],
    [1.5, '1.5s'],
    [2, '2s'],
    [5.13, '5.13s'],
    [1800, '30m'],
    [7200, '2h'],
    [5400, '1h30m'],
    [273600, '3d04h'],
  ];
  for (const [x, text] of compact) assert.equal(durationText(x, 'compact'), text);
  assert.equal(durationText(Number.NaN), '—');
});

test('kad recommend shows the same words after the seconds', () => {
  assert.equal(formatSeconds(45), '45 s');
  assert.equal(formatSeconds(280), '280 s (4 min 40 s)');
  assert.equal(formatSeconds(7200), '7200 s (2 h)');
  assert.equal(formatSeconds(3599.9), '3599.9 s (1 h)');
  assert.equal(formatSeconds(432000), `432000 s (${durationText(432000)})`);
});

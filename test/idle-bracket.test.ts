import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idleTimeoutsByPath } from '../src/diagnose/idle-timeout.js';
import { idleBracketText } from '../src/render/diagnosis-text.js';
import { maxOf } from '../src/util/extremes.js';

/** Periods summed per connection, as the tracker's idle pass would, then bracketed on one path. */
function inference(periods: [conn: number, idleS: number, outcome: 'survived' | 'died'][]) {
  const n = maxOf(periods, (p) => p[0], -1) + 1;
  const sums = {
    survivedCount: new Uint32Array(n),
    survivedMaxNs: new Float64Array(n).fill(-Infinity),
    diedCount: new Uint32Array(n),
    diedMinNs: new Float64Array(n).fill(Infinity),
    first: new Float64Array(n).fill(-1),
  };
  periods.forEach(([c, s, o], order) => {
    if (sums.first[c]! < 0) sums.first[c] = order;
    if (o === 'survived') {
      sums.survivedCount[c]!++;
      sums.survivedMaxNs[c] = Math.max(sums.survivedMaxNs[c]!, s * 1e9);
    } else {
      sums.diedCount[c]!++;
      sums.diedMinNs[c] = Math.min(sums.diedMinNs[c]!, s * 1e9);
    }
  });
  return idleTimeoutsByPath(sums, () => '198.51.100.10:5432')[0]!;
}

test('the idle-timeout bracket reads as a bracket, or says why there is none', () => {
  const fits = inference([
    [0, 200, 'survived'],
    [1, 350, 'died'],
    [0, 100, 'survived'],
  ]);
  assert.equal(fits.consistent, true);
  assert.equal(fits.connections, 2);
  assert.equal(idleBracketText(fits), '3 min 20 s < T ≤ 5 min 50 s');

  const onlyDied = inference([[3, 350, 'died']]);
  assert.match(idleBracketText(onlyDied), /^T ≤ /);

  // A survived silence longer than one that died: no T fits, and the text must not print "60 s < T ≤ 20 s".
  const clash = inference([
    [0, 60, 'survived'],
    [1, 20, 'died'],
  ]);
  assert.equal(clash.consistent, false);
  assert.match(idleBracketText(clash), /^no single T: idle periods up to .* were survived, yet one of .* died$/);
  assert.doesNotMatch(idleBracketText(clash), /< T ≤/);
});

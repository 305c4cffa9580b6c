import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionDiagnosis, FileReport } from '../src/model/analysis-report.js';
import { ProblemGroupTally } from '../src/report/problem-groups.js';
import { headlineSentences } from '../src/render/diagnosis-text.js';
import { median } from '../src/util/median.js';
import { durationText } from '../src/util/time-text.js';

test('median: the middle value, or the mean of the middle two', () => {
  assert.equal(median([7]), 7);
  assert.equal(median([9, 1, 5]), 5, 'unsorted input');
  const even = [5.3, 5.1, 9, 1];
  const sorted = [...even].sort((a, b) => a - b);
  assert.equal(median(even), (sorted[1]! + sorted[2]!) / 2, 'neither middle value alone');
  assert.notEqual(median(even), sorted[2]);
  assert.notEqual(median(even), sorted[1]);
  assert.equal(median([-3, 10, 2, 2]), 2, 'equal middle values');
  assert.ok(Number.isNaN(median([])));
});

test('median leaves its input unsorted', () => {
  const xs = [3, 1, 2];
  median(xs);
  assert.deepEqual(xs, [3, 1, 2]);
});

test('a group keeps the median idle of an even group as the mean of its middle two; the headline gives the range', () => {
  const idles = [20, 30, 90, 10];
  const drop = (conn: number, idleBeforeS: number) => ({
    conn,
    path: '198.51.100.1:443',
    verdict: '',
    resets: [],
    silentDrop: { conn, kind: 'unanswered', sender: 'server', idleBeforeS },
  });
  const groups = new ProblemGroupTally();
  for (const [i, x] of idles.entries()) groups.add(drop(i + 1, x) as unknown as ConnectionDiagnosis);
  const [g] = groups.groups();
  assert.equal(g!.idleMedianS, median(idles));
  assert.deepEqual([g!.idleMinS, g!.idleMaxS], [10, 90]);
  const [line] = headlineSentences({ problemGroups: [g] } as unknown as FileReport);
  // The shortest idle leads: a median (25 s) would hide that one connection died after 10 s.
  assert.ok(line!.includes(` ${durationText(10)} to ${durationText(90)} after they went idle`), line);
  assert.doesNotMatch(line!, /about/);
});

test('a reset headline under 0.7 confidence says probably, and how sure', () => {
  const reset = (conn: number, confidence: number) => ({
    conn,
    path: '198.51.100.1:443',
    verdict: '',
    resets: [{ conn, frame: 9, attribution: 'peer', confidence, claimedSender: 'client', trigger: null }],
    silentDrop: null,
  });
  const line = (...cs: number[]) => {
    const groups = new ProblemGroupTally();
    cs.forEach((c, i) => groups.add(reset(i + 1, c) as unknown as ConnectionDiagnosis));
    return headlineSentences({ problemGroups: groups.groups() } as unknown as FileReport)[0]!;
  };
  assert.match(line(0.56), /was probably reset by the client itself \(a genuine RST\) \(confidence 0\.56\)/);
  assert.match(line(0.9, 0.6), /were probably reset .* \(confidence 0\.60 for the least sure\)/);
  assert.doesNotMatch(line(0.9), /probably|confidence/);
});

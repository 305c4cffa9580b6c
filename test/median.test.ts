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

test('the report headline gives the median idle of an even group as the mean of its middle two', () => {
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
  const report = { problemGroups: groups.groups() } as unknown as FileReport;
  const [line] = headlineSentences(report);
  assert.match(line!, new RegExp(`about ${durationText(median(idles)).replace('.', '\\.')} after they went idle`), line);
  assert.doesNotMatch(line!, new RegExp(`about ${durationText(30).replace('.', '\\.')}`), 'not the upper middle value');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeJson, type LazyArrays } from '../src/render/json-report.js';

function streamed(value: unknown, lazy?: LazyArrays): string {
  let out = '';
  writeJson({ write: (s) => (out += s) }, value, lazy);
  return out;
}

test('streamed JSON is byte for byte JSON.stringify(value, null, 2)', () => {
  const long = Array.from({ length: 700 }, (_, i) => ({ id: i, tags: i % 3 ? [] : ['a', 'b'], nested: { x: i / 7, y: null } }));
  const doc = {
    tool: 'keepalive-doctor',
    empty: {},
    emptyList: [],
    skipped: undefined,
    text: 'two\nlines "quoted" \u2192 é',
    files: [
      {
        file: 'a.pcap',
        connections: long,
        diagnoses: [{ conn: 1, caveat: undefined, evidence: [{ detail: 'x', n: -0.5 }] }],
        deep: { a: { b: { c: [1, 2, { d: [] }] } } },
      },
      { file: 'b.pcap', connections: [], diagnoses: [], deep: null },
    ],
    list: [1, 'two', null, true, undefined, [[]], [{}]],
  };
  assert.equal(streamed(doc), JSON.stringify(doc, null, 2) + '\n');
  assert.equal(streamed([]), '[]\n');
  assert.equal(streamed('x'), '"x"\n');
});

test('a placeholder array is written from its lazy source, one element at a time', () => {
  const placeholder: unknown[] = [];
  const made: number[] = [];
  function* source(): Generator<unknown> {
    for (let i = 1; i <= 3; i++) {
      made.push(i);
      yield { id: i, ok: i !== 2 };
    }
  }
  const doc = { files: [{ file: 'x', connections: placeholder, after: 1 }] };
  const expected = JSON.stringify({ files: [{ file: 'x', connections: [...source()], after: 1 }] }, null, 2) + '\n';
  made.length = 0;
  assert.equal(streamed(doc, new Map([[placeholder, source]])), expected);
  assert.deepEqual(made, [1, 2, 3]);
  // Without the lazy source the placeholder is what it is: empty.
  assert.match(streamed(doc), /"connections": \[\]/);
});

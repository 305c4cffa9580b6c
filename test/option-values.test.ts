import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { byteSize } from '../src/cli/option-values.js';

test('--max-memory sizes: binary units, with or without B/iB', () => {
  const cases: [string, number][] = [
    ['65536', 65536],
    ['64k', 64 * 1024],
    ['512M', 512 * 1024 ** 2],
    ['512MiB', 512 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    [' 3 GB ', 3 * 1024 ** 3],
  ];
  for (const [text, bytes] of cases) assert.equal(byteSize(text), bytes, text);
});

test('--max-memory refuses what is not a size, or too small to hold anything', () => {
  for (const text of ['', 'foo', '1k', '-5M', '2T', '5 M B', 'NaN']) {
    assert.throws(() => byteSize(text), InvalidArgumentError, text);
  }
});

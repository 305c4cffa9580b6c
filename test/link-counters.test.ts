import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { linkPackets } from '../src/live/link-counters.js';
import { tempCaptures } from './helpers/temp-captures.js';

const tmp = tempCaptures('kad-link-', 'txt');

function fakeLink(name: string, rx: number, tx: number): void {
  const dir = join(tmp.dir, 'class', 'net', name, 'statistics');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rx_packets'), `${rx}\n`);
  writeFileSync(join(dir, 'tx_packets'), `${tx}\n`);
}

test('a link carries what it received and what it sent', () => {
  fakeLink('veth9', 1_352_820, 616_421);
  assert.equal(linkPackets('veth9', tmp.dir), 1_352_820 + 616_421);
});

test("no bound for 'any', an unknown interface, or a name that is a path", () => {
  assert.equal(linkPackets('any', tmp.dir), null);
  assert.equal(linkPackets('nosuch0', tmp.dir), null);
  assert.equal(linkPackets('../../etc', tmp.dir), null);
});

test('the real loopback has counters', () => {
  const n = linkPackets('lo');
  assert.ok(n !== null && n >= 0);
});

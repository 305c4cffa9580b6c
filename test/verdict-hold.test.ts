import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LiveModel } from '../src/live/live-model.js';
import { BufferFeed } from './helpers/buffer-feed.js';
import { REPO } from './helpers/run-kad.js';

// With --kernel, a reset verdict is printed once: it must wait until the kernel's event about it can be in it.

const CAPTURE = join(REPO, 'captures', 'fw-reset-keepalive.server.pcap');

async function loaded(verdictHoldMs: number): Promise<{ model: LiveModel; resets: number[] }> {
  const feed = new BufferFeed('fw-reset-keepalive.server.pcap', readFileSync(CAPTURE));
  const model = new LiveModel(feed, { verdictHoldMs });
  const resets: number[] = [];
  model.on('reset', (r) => resets.push(r.frame));
  await feed.start(model.pipeline.onPacket);
  return { model, resets };
}

test('a new reset verdict waits out the hold, then is emitted once; without a hold, at once', async () => {
  const held = await loaded(300);
  held.model.refresh();
  held.model.refresh();
  assert.deepEqual(held.resets, [], 'not before the hold has passed');
  await new Promise((r) => setTimeout(r, 350));
  held.model.refresh();
  assert.equal(held.resets.length, 1, 'after it');
  held.model.refresh(false);
  assert.equal(held.resets.length, 1, 'once');

  const now = await loaded(0);
  now.model.refresh();
  assert.equal(now.resets.length, 1);
});

test('the last refresh emits what is still held', async () => {
  const { model, resets } = await loaded(60_000);
  model.refresh();
  assert.deepEqual(resets, []);
  model.refresh(false);
  assert.equal(resets.length, 1);
});

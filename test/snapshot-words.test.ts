import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateRoundRobinCapture } from '../bench/synth-round-robin.js';
import { LiveModel } from '../src/live/live-model.js';
import type { ResetVerdict } from '../src/model/analysis-report.js';
import { BufferFeed } from './helpers/buffer-feed.js';
import { REPO } from './helpers/run-kad.js';

// A new verdict's words go out with its event; only the TUI's snapshots keep them.

const CAPTURE = join(REPO, 'captures', 'fw-reset-keepalive.server.pcap');

async function firstRefresh(wordedSnapshots: boolean | undefined): Promise<{ model: LiveModel; emitted: ResetVerdict[] }> {
  const feed = new BufferFeed('fw-reset-keepalive.server.pcap', readFileSync(CAPTURE));
  const model = new LiveModel(feed, wordedSnapshots === undefined ? {} : { wordedSnapshots });
  const emitted: ResetVerdict[] = [];
  model.on('reset', (r) => emitted.push(r));
  await feed.start(model.pipeline.onPacket);
  model.refresh();
  return { model, emitted };
}

test('a new reset verdict is emitted worded; the snapshot keeps it as decided unless asked to keep its words', async () => {
  for (const worded of [undefined, false, true]) {
    const { model, emitted } = await firstRefresh(worded);
    assert.equal(emitted.length, 1, 'one new reset verdict');
    assert.ok(emitted[0]!.evidence.length > 0, 'the emitted verdict carries its evidence');
    const snap = model.latest!;
    const d = snap.diagnoses.find((x) => x.conn === emitted[0]!.conn);
    assert.ok(d, 'the snapshot has the connection');
    // The decision is the same either way.
    assert.equal(d.resets[0]!.attribution, emitted[0]!.attribution);
    assert.equal(d.resets[0]!.confidence, emitted[0]!.confidence);
    if (worded === true) {
      assert.ok(d.verdict.length > 0, 'the TUI snapshot has the verdict sentence');
      assert.deepEqual(d.resets[0]!.evidence, emitted[0]!.evidence);
    } else {
      assert.equal(d.verdict, '', 'no sentence kept');
      assert.deepEqual(d.resets[0]!.evidence, [], 'no evidence kept');
    }
  }
});

test("the TUI's snapshots keep a verdict's words after the refresh that found it", async () => {
  const { model, emitted } = await firstRefresh(true);
  const conn = emitted[0]!.conn;
  model.refresh();
  const again = model.latest!.diagnoses.find((x) => x.conn === conn);
  assert.ok(again, 'still held');
  assert.equal(emitted.length, 1, 'not emitted again');
  assert.ok(again.verdict.length > 0, 'still worded');
  assert.deepEqual(again.resets[0]!.evidence, emitted[0]!.evidence);
});

test("the TUI's word cache is bounded: a busy capture's oldest verdicts show as decided", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kad-words-'));
  try {
    const file = join(dir, 'rr.pcap');
    // One connection in five ends with a genuine RST: 6 000 reset verdicts, more than the cache holds.
    generateRoundRobinCapture(file, 30_000, 10, 128);
    const feed = new BufferFeed('rr.pcap', readFileSync(file));
    const model = new LiveModel(feed, { wordedSnapshots: true });
    let emitted = 0;
    model.on('reset', () => emitted++);
    await feed.start(model.pipeline.onPacket);
    model.refresh(false);
    model.refresh(false);
    const worded = model.latest!.diagnoses.filter((d) => d.verdict !== '').length;
    assert.ok(emitted > 4096, `more verdicts (${emitted}) than the cache holds`);
    assert.ok(worded > 0 && worded < emitted, `some kept worded (${worded} of ${emitted}), not all`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

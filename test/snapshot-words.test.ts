import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateRoundRobinCapture } from '../bench/synth-round-robin.js';
import { LiveModel, MAX_WORDED } from '../src/live/live-model.js';
import type { ResetVerdict } from '../src/model/analysis-report.js';
import { readCaptureBuffer } from '../src/capture/read-capture.js';
import { BufferFeed } from './helpers/buffer-feed.js';
import { buildPcap } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';
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

/** A handshake on a connection of its own, a second after the model's newest packet: something for the next refresh to see. */
function morePackets(model: LiveModel): void {
  const after = BigInt(Math.ceil(model.latest!.newestPacketS) + 1) * 1_000_000_000n;
  const s = new TcpScript({ addr: '192.0.2.250', port: 45000 }, { addr: '198.51.100.250', port: 443 }, [1000, 5000], after);
  s.handshake();
  readCaptureBuffer(buildPcap(s.packets, { nano: true }), model.pipeline.onPacket, { displayName: 'more' });
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
  morePackets(model);
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
    morePackets(model);
    model.refresh(false);
    const worded = model.latest!.diagnoses.filter((d) => d.verdict !== '').length;
    assert.ok(emitted > MAX_WORDED, `more verdicts (${emitted}) than the cache holds (${MAX_WORDED})`);
    assert.ok(worded > 0 && worded < emitted, `some kept worded (${worded} of ${emitted}), not all`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a refresh that would see what the last one saw reuses its snapshot; a new frame, or a verdict on hold, makes it diagnose again', async () => {
  const { model } = await firstRefresh(undefined);
  const first = model.latest!;
  const again = model.refresh();
  assert.equal(again.diagnoses, first.diagnoses, 'no frame since: the same verdicts, not decided again');
  assert.deepEqual(again.resetsBy, first.resetsBy);
  assert.equal(again.heldConnections, first.heldConnections);
  assert.equal(again.packetsPerSec, 0);
  morePackets(model);
  const after = model.refresh();
  assert.notEqual(after.diagnoses, first.diagnoses, 'a new frame: diagnosed again');
  assert.equal(after.heldConnections, first.heldConnections + 1);

  const feed = new BufferFeed('fw-reset-keepalive.server.pcap', readFileSync(CAPTURE));
  const held = new LiveModel(feed, { verdictHoldMs: 60_000 });
  await feed.start(held.pipeline.onPacket);
  const waiting = held.refresh();
  assert.notEqual(held.refresh().diagnoses, waiting.diagnoses, 'a verdict on hold: diagnosed again, to emit it when its hold is out');
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PacketRecord } from '../src/capture/packet-record.js';
import { readCapture } from '../src/capture/read-capture.js';
import { replaySpeed as parseSpeed } from '../src/cli/option-values.js';
import { UserError } from '../src/model/errors.js';
import { ReplayFeed, type ReplayClock } from '../src/live/replay-feed.js';
import { buildPcap, sampleConversation, type TcpSpec } from './helpers/capture-builder.js';
import { REPO } from './helpers/run-kad.js';

const dir = mkdtempSync(join(tmpdir(), 'kad-tui-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000_000_000n;

/** Packets at 0 s, 1 s and 3 s. */
function threePackets(): string {
  const pkts: TcpSpec[] = sampleConversation(3, T0).map((p, i) => ({ ...p, tsNs: T0 + BigInt([0, 1, 3][i]!) * 1_000_000_000n }));
  const file = join(dir, 'three.pcap');
  writeFileSync(file, buildPcap(pkts, { nano: true }));
  return file;
}

/** A clock the test moves by hand; timers fire in due order. */
class FakeClock implements ReplayClock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test('packets come due at their own timestamps divided by the speed', async () => {
  const clock = new FakeClock();
  const feed = new ReplayFeed(threePackets(), { speed: 2, clock });
  const frames: number[] = [];
  let done = false;
  const run = feed.start((rec) => frames.push(rec.frame)).then(() => (done = true));
  await feed.load();
  await tick();
  assert.deepEqual(frames, [1], 'the first packet at once');
  assert.equal(clock.pending, 1, 'one timer for the next packet, no busy loop');
  clock.advance(499);
  assert.deepEqual(frames, [1]);
  clock.advance(1); // 1 s of capture at 2× = 500 ms
  assert.deepEqual(frames, [1, 2]);
  assert.equal(feed.captureNowEpochS(), 1_700_000_001);
  clock.advance(999);
  assert.deepEqual(frames, [1, 2]);
  clock.advance(1);
  assert.deepEqual(frames, [1, 2, 3]);
  await run;
  assert.ok(done);
  assert.equal(clock.pending, 0);
  assert.equal(feed.captureNowEpochS(), 1_700_000_003, 'after the end the clock stays on the last packet');
});

test('pause stops the virtual clock; resume carries on where it was', async () => {
  const clock = new FakeClock();
  const feed = new ReplayFeed(threePackets(), { speed: 1, clock });
  const frames: number[] = [];
  const run = feed.start((rec) => frames.push(rec.frame));
  await feed.load();
  await tick();
  clock.advance(600);
  feed.setPaused(true);
  assert.equal(clock.pending, 0, 'no timer while paused');
  const frozen = feed.captureNowEpochS();
  clock.advance(10_000);
  assert.deepEqual(frames, [1]);
  assert.equal(feed.captureNowEpochS(), frozen);
  feed.setPaused(false);
  clock.advance(399);
  assert.deepEqual(frames, [1]);
  clock.advance(1);
  assert.deepEqual(frames, [1, 2]);
  feed.stop();
  await run;
  assert.deepEqual(frames, [1, 2], 'nothing after stop()');
});

test('speed max delivers every record as read: frames, timestamps and bytes unchanged', async () => {
  const file = join(REPO, 'captures/keepalive-survives.server.pcap');
  const key = (r: PacketRecord) =>
    `${r.frame} ${r.tsSec}.${r.tsNsec} ${r.linkType} ${r.origLen} ${r.buf.subarray(r.offset, r.offset + r.capLen).toString('hex')}`;
  const expected: string[] = [];
  await readCapture(file, (r) => expected.push(key(r)));
  const got: string[] = [];
  const feed = new ReplayFeed(file, { speed: 0 });
  const t0 = Date.now();
  await feed.start((r) => got.push(key(r)));
  assert.ok(Date.now() - t0 < 5000, 'a 30 s capture replays at once');
  assert.deepEqual(got, expected);
  assert.equal(feed.delivered, feed.total);
  assert.match(feed.label, /at max speed/);
});

test('speed max yields to the event loop in slices', async () => {
  const file = join(dir, 'many.pcap');
  writeFileSync(file, buildPcap(sampleConversation(5000, T0), { nano: true }));
  let turns = 0;
  const counting = setInterval(() => turns++, 0);
  let n = 0;
  await new ReplayFeed(file, { speed: 0, sliceMs: 0 }).start(() => n++);
  clearInterval(counting);
  assert.equal(n, 5000);
  assert.ok(turns > 0, 'other timers ran during the replay');
});

test('unreadable files fail before the replay, damaged ones after replaying what came before', async () => {
  await assert.rejects(
    new ReplayFeed(join(dir, 'missing.pcap'), { speed: 0 }).load(),
    (e: unknown) => e instanceof UserError && /missing\.pcap/.test(e.message),
  );
  const whole = buildPcap(sampleConversation(4, T0), { nano: true });
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 10));
  let n = 0;
  await assert.rejects(
    new ReplayFeed(cut, { speed: 0 }).start(() => n++),
    (e: unknown) => e instanceof UserError && /replayed the 3 packets/.test(e.message),
  );
  assert.equal(n, 3);
});

test('--speed accepts numbers ≥ 0 and "max"', () => {
  assert.equal(parseSpeed('max'), 0);
  assert.equal(parseSpeed('0'), 0);
  assert.equal(parseSpeed('2.5'), 2.5);
  assert.throws(() => parseSpeed('-1'));
  assert.throws(() => parseSpeed('fast'));
  assert.throws(() => new ReplayFeed('x', { speed: Number.NaN }));
});

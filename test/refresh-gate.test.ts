import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamChild, ReadStopped } from '../src/sockets/child-stream.js';
import { RefreshGate, SLOWDOWN } from '../src/sockets/refresh-gate.js';
import { SsRecordSplitter } from '../src/sockets/ss-parse.js';

/** A job that finishes when told to. */
function pending(): { job: (signal: AbortSignal) => Promise<void>; finish: () => void; signal: () => AbortSignal | null } {
  let finish = (): void => undefined;
  let seen: AbortSignal | null = null;
  return {
    job: (signal) => {
      seen = signal;
      return new Promise<void>((resolve, reject) => {
        finish = resolve;
        signal.addEventListener('abort', () => reject(new ReadStopped()));
      });
    },
    finish: () => finish(),
    signal: () => seen,
  };
}

test('one refresh in flight: those that come due meanwhile are skipped and counted', async () => {
  let now = 0;
  const gate = new RefreshGate(1000, () => now);
  const p = pending();
  const errors: unknown[] = [];
  assert.equal(
    gate.run(p.job, (e) => errors.push(e)),
    true,
  );
  for (let i = 0; i < 3; i++) {
    now += 1000;
    assert.equal(
      gate.run(p.job, (e) => errors.push(e)),
      false,
    );
  }
  assert.equal(gate.skipped, 3);
  p.finish();
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.busy, false);
  assert.equal(gate.lastMs, 3000);
  assert.deepEqual(errors, []);
});

test('the interval stretches to SLOWDOWN times the last refresh on a big table', async () => {
  let now = 0;
  const gate = new RefreshGate(1000, () => now);
  const p = pending();
  gate.run(p.job, () => undefined);
  now = 2000;
  p.finish();
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.intervalMs, SLOWDOWN * 2000);
  now = 2000 + 1000;
  assert.equal(
    gate.run(p.job, () => undefined),
    false,
    'due by --refresh, but the last read took 2 s',
  );
  assert.equal(gate.skipped, 0, 'held back by the interval, not skipped while one is in flight');
  now = SLOWDOWN * 2000;
  assert.equal(
    gate.run(p.job, () => undefined),
    true,
  );
  await gate.stop();
});

test('stop() aborts the refresh in flight and no new one starts', async () => {
  const gate = new RefreshGate(10);
  const p = pending();
  const errors: unknown[] = [];
  gate.run(p.job, (e) => errors.push(e));
  await gate.stop();
  assert.equal(p.signal()?.aborted, true);
  assert.deepEqual(errors, [], 'a stopped read is not an error');
  assert.equal(
    gate.run(p.job, () => undefined),
    false,
  );
});

test('a stopped reader child is killed by PID at once, not waited for', async () => {
  const abort = new AbortController();
  const t0 = Date.now();
  const run = streamChild('sleep', ['30'], () => undefined, { signal: abort.signal });
  setTimeout(() => abort.abort(), 50);
  await assert.rejects(run, ReadStopped);
  // Not a timing assertion on the machine's speed: sleep 30 would have taken 30 s.
  assert.ok(Date.now() - t0 < 20_000);
});

test('a reader that fails says so in one line', async () => {
  const missing = await streamChild('/nonexistent/kad-sockdiag', [], () => undefined);
  assert.deepEqual(missing, { ok: false, reason: '/nonexistent/kad-sockdiag not found' });
  const failing = await streamChild('sh', ['-c', 'echo "Cannot open netlink socket: Protocol not supported" >&2; exit 1'], () => undefined);
  assert.deepEqual(failing, { ok: false, reason: 'sh failed: Cannot open netlink socket: Protocol not supported' });
});

test('ss output split into records across arbitrary chunk boundaries', () => {
  const text = [
    'ESTAB 0 0 192.0.2.1:22 198.51.100.2:5000 timer:(keepalive,5.560ms,0) ino:1',
    '\t cubic wscale:7,7 lastsnd:10 lastrcv:20 lastack:30',
    'ESTAB 0 0 192.0.2.1:22 198.51.100.3:5001 ino:2',
    '\t cubic lastsnd:1',
    '',
  ].join('\n');
  for (const size of [1, 2, 5, 17, text.length]) {
    const got: string[] = [];
    const split = new SsRecordSplitter((r) => got.push(r));
    for (let i = 0; i < text.length; i += size) split.push(text.slice(i, i + size));
    split.end();
    assert.deepEqual(
      got,
      [
        'ESTAB 0 0 192.0.2.1:22 198.51.100.2:5000 timer:(keepalive,5.560ms,0) ino:1 cubic wscale:7,7 lastsnd:10 lastrcv:20 lastack:30',
        'ESTAB 0 0 192.0.2.1:22 198.51.100.3:5001 ino:2 cubic lastsnd:1',
      ],
      `chunks of ${size}`,
    );
  }
});

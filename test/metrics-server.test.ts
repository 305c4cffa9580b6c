/**
 * The Prometheus exporter without a lab: listen-address parsing, the at-risk
 * rule, and a real LiveModel replaying a bundled lab capture into a real
 * HTTP server, scraped like Prometheus would.
 */
import assert from 'node:assert/strict';
import { newestPacketS } from './helpers/newest-packet.js';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../src/model/errors.js';
import { LiveModel, type LiveSnapshot } from '../src/live/live-model.js';
import { CaptureClock, connectionsAtRisk, riskContext } from '../src/sockets/at-risk.js';
import { KadMetrics } from '../src/metrics/kad-metrics.js';
import { parseListen } from '../src/metrics/listen-address.js';
import { startMetricsServer } from '../src/metrics/metrics-server.js';
import type { ConnectionReport } from '../src/model/analysis-report.js';
import { REPO } from './helpers/run-kad.js';
import { BufferFeed } from './helpers/buffer-feed.js';
import { sample } from './helpers/prom-text.js';

test('listen addresses: Prometheus style [HOST]:PORT', () => {
  assert.deepEqual(parseListen(':9464'), { host: undefined, port: 9464 });
  assert.deepEqual(parseListen('9464'), { host: undefined, port: 9464 });
  assert.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
  assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  for (const bad of ['', '::1:9464', 'host', 'host:', ':70000', ':port', '[::1]']) {
    assert.throws(() => parseListen(bad), UserError, bad);
  }
});

function conn(id: number, endS: number, extra: Partial<ConnectionReport> = {}): ConnectionReport {
  return {
    id,
    server: { addr: '198.51.100.10', port: 5432 },
    ipVersion: 4,
    end: endS.toFixed(9),
    ended: { kind: 'open', by: null, frame: null, ts: null },
    keepalives: { sent: 0, answered: 0 },
    ...extra,
  } as ConnectionReport;
}

test("at risk: open connections idle for 80% of the lower end of their path's timeout, or being black-holed, or unverified", () => {
  const idleTimeouts = [
    { path: '198.51.100.10:5432', connections: 1, survivedMaxS: 200, survived: 1, diedMinS: 350, died: 1, consistent: true, matches: [] },
  ];
  const now = 10_000;
  const snap = {
    connections: [
      conn(1, now - 100), // quiet but well inside the timeout: 100 < 0.8 × 200, the longest idle that survived
      conn(2, now - 290), // 290 ≥ 0.8 × 200
      conn(3, now - 400, { ended: { kind: 'reset', by: 'server', frame: 9, ts: null } }), // already over
      conn(4, now - 1), // fresh, but its keepalives go unanswered
      conn(5, now - 999, { server: { addr: '203.0.113.5', port: 443 } }), // no inference for that path, idle past the common defaults
      conn(6, now - 150, { server: { addr: '203.0.113.5', port: 443 } }), // nothing known, idle below the common defaults
    ],
    diagnoses: [{ conn: 4, path: '198.51.100.10:5432', verdict: '', resets: [], silentDrop: { conn: 4 } as never }],
    idleTimeouts,
  };
  assert.deepEqual(
    connectionsAtRisk(snap.connections, [], riskContext(snap, now)).map((a) => a.conn),
    [2, 4, 5],
  );
  // --idle-timeout counts too: 100 s of silence is 80 % of 125 s, and path 5 (6) has no inference of its own.
  assert.deepEqual(
    connectionsAtRisk(snap.connections, [], riskContext(snap, now, 125)).map((a) => a.conn),
    [1, 2, 4, 5, 6],
  );
});

test('the capture clock follows the newest packet and then wall time, and stops when the source ends', () => {
  const clock = new CaptureClock();
  assert.equal(clock.now(5_000), null);
  clock.observe(100, 5_000);
  assert.equal(clock.now(5_000), 100);
  clock.observe(100, 7_500);
  assert.equal(clock.now(7_500), 102.5, 'no newer packet: wall time moves it on');
  clock.observe(101, 8_000);
  assert.equal(clock.now(8_000), 101);
  clock.end();
  assert.equal(clock.now(60_000), 101);
  const replay = new CaptureClock({ captureNowEpochS: () => 500 });
  replay.observe(100, 0);
  assert.equal(replay.now(1_000_000), 500, "a replay's virtual clock wins");
});

test('the at-risk gauge takes --idle-timeout and the socket table', async () => {
  const m = new KadMetrics({ processMetrics: false, idleTimeoutS: 10 });
  const snap: LiveSnapshot = {
    source: 'test',
    packetsPerSec: 0,
    sourceDrops: null,
    sourceMissedAtMost: null,
    diagnoses: [],
    idleTimeouts: [],
    resetsBy: {},
    at: 1_000,
    packets: 1,
    tcpPackets: 1,
    captureGaps: 0,
    connections: [conn(1, 100)],
    openReports: [conn(1, 100)],
    heldConnections: 1,
    openConnections: 1,
    newestPacketS: newestPacketS([conn(1, 100)]),
    keepalives: { sent: 0, answered: 0 },
    evicted: 0,
    refreshMs: 0,
  };
  m.onSnapshot(snap);
  m.onSnapshot({ ...snap, at: 10_000 }); // 9 s of silence ≥ 80 % of 10 s
  assert.equal(sample(await m.registry.metrics(), 'kad_connections_at_risk'), 1);
});

test('counters take deltas of the snapshot totals and never go down', async () => {
  const m = new KadMetrics({ processMetrics: false });
  const base = {
    source: 'test',
    packetsPerSec: 0,
    sourceDrops: null,
    sourceMissedAtMost: null,
    diagnoses: [],
    idleTimeouts: [],
    resetsBy: {},
    evicted: 0,
    refreshMs: 0,
  };
  const snap = (at: number, packets: number, gaps: number, sent: number, answered: number): LiveSnapshot => ({
    ...base,
    at,
    packets,
    tcpPackets: packets,
    captureGaps: gaps,
    connections: [conn(1, at / 1000, { keepalives: { sent, answered } })],
    openReports: [conn(1, at / 1000, { keepalives: { sent, answered } })],
    heldConnections: 1,
    openConnections: 1,
    newestPacketS: at / 1000,
    keepalives: { sent, answered },
  });
  m.onSnapshot(snap(1000, 10, 1, 2, 1));
  m.onSnapshot(snap(2000, 25, 1, 5, 4));
  m.onSnapshot(snap(3000, 20, 0, 3, 3)); // totals that went backwards must not undo anything
  const text = await m.registry.metrics();
  assert.equal(sample(text, 'kad_packets_captured_total'), 25);
  assert.equal(sample(text, 'kad_capture_gaps_total'), 1);
  assert.equal(sample(text, 'kad_keepalive_probes_sent_total'), 5);
  assert.equal(sample(text, 'kad_keepalive_probes_answered_total'), 4);
  assert.equal(sample(text, 'kad_connections_tracked'), 1);
  assert.equal(sample(text, 'kad_source_drops'), undefined, 'an unknown drop count is left out, not NaN nor a made-up 0');
  assert.doesNotMatch(text, /^kad_source_drops|NaN|Nan/m);
  assert.doesNotMatch(await m.exposition(), /\n\n/, 'no blank lines in the exposition');
  m.onSnapshot({ ...snap(4000, 30, 0, 3, 3), sourceDrops: 7 });
  assert.equal(sample(await m.exposition(), 'kad_source_drops'), 7, 'known: exported');
  m.onSnapshot(snap(5000, 30, 0, 3, 3));
  assert.equal(sample(await m.exposition(), 'kad_source_drops'), undefined, 'unknown again: left out again');
  assert.equal(sample(text, 'process_cpu_user_seconds_total'), undefined, 'own registry, no process metrics when disabled');
});

test('a replayed forged-RST capture is scraped as a middlebox reset with the inferred timeout', async () => {
  const file = join(REPO, 'captures', 'fw-reset-keepalive.server.pcap');
  const model = new LiveModel(new BufferFeed('fw-reset-keepalive.server.pcap', readFileSync(file)), { refreshMs: 50 });
  const server = await startMetricsServer(model, '127.0.0.1:0');
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await model.run();
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const path = '198.51.100.10:5432';
    assert.equal(sample(text, 'kad_resets_total', { attribution: 'middlebox', path }), 1, text);
    assert.equal(sample(text, 'kad_resets_total', { attribution: 'peer', path }), undefined);
    assert.equal(sample(text, 'kad_keepalive_probes_sent_total'), 1);
    assert.equal(sample(text, 'kad_keepalive_probes_answered_total'), 0);
    assert.equal(sample(text, 'kad_connections_tracked'), 1);
    assert.equal(sample(text, 'kad_connections_open'), 0);
    assert.equal(sample(text, 'kad_tcp_packets_total'), 9);
    assert.ok(sample(text, 'kad_packets_captured_total')! >= 9);
    const upper = sample(text, 'kad_idle_timeout_upper_bound_seconds', { path });
    // The scenario's KEEPIDLE is 5 s; the kernel's timer wheel may fire it a little late, never early.
    assert.ok(upper !== undefined && upper >= 5 && upper < 5.6, `upper bound ${upper}`);
    assert.equal(sample(text, 'kad_source_drops'), 0);
    assert.ok(sample(text, 'process_cpu_user_seconds_total') !== undefined, 'default process metrics are exported');

    const index = await fetch(server.url.replace(/metrics$/, ''));
    assert.equal(index.status, 200);
    assert.match(await index.text(), /href="\/metrics"/);
    assert.equal((await fetch(server.url.replace(/metrics$/, 'nope'))).status, 404);
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
  assert.equal(model.listenerCount('snapshot'), 0, 'close() unsubscribes from the model');
});

test('a port already in use is a one-line user error', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const port = (blocker.address() as { port: number }).port;
  const model = new LiveModel(new BufferFeed('none', Buffer.alloc(0)));
  try {
    await assert.rejects(startMetricsServer(model, `127.0.0.1:${port}`), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, new RegExp(`^cannot serve metrics on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    assert.equal(model.listenerCount('reset'), 0);
  } finally {
    blocker.close();
  }
});

/**
 * One definition of "at risk": for the same connections, sockets and moment,
 * the Prometheus gauge, `kad watch`'s JSON Lines (the stats field and the
 * at-risk lines) and the TUI's rows say the same thing. Each goes through
 * its own real entry point (KadMetrics, WatchOutput, buildRow).
 */
import assert from 'node:assert/strict';
import { newestPacketS } from './helpers/newest-packet.js';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WatchOutput } from '../src/cli/watch-command.js';
import { LiveModel, type LiveSnapshot } from '../src/live/live-model.js';
import { KadMetrics } from '../src/metrics/kad-metrics.js';
import type { ConnectionDiagnosis, ConnectionReport, IdleTimeoutInference } from '../src/model/analysis-report.js';
import { connectionsAtRisk, riskContext } from '../src/sockets/at-risk.js';
import { newSocketInfo } from '../src/sockets/socket-info.js';
import type { SocketInfo } from '../src/sockets/socket-types.js';
import { buildRow, type RowContext } from '../src/tui/conn-rows.js';
import { headerLines } from '../src/tui/header.js';
import { endpointText } from '../src/util/ip-text.js';

/**
 * The newest packet of the capture, epoch seconds: "now" for every judge
 * below. A live capture's clock follows the wall clock, which stamps the
 * socket reads; the cases keep clear of their thresholds by more than the
 * test's running time.
 */
const E = Math.floor(Date.now() / 1000);
const STATED_S = 100;
const A = { addr: '198.51.100.10', port: 5432 };
const B = { addr: '2001:db8:2::10', port: 443 };
const IDLE_TIMEOUTS: IdleTimeoutInference[] = [
  { path: '[2001:db8:2::10]:443', connections: 2, survivedMaxS: 40, survived: 1, diedMinS: 60, died: 1, consistent: true, matches: [] },
];

function conn(
  id: number,
  server: { addr: string; port: number },
  idleS: number,
  kind: ConnectionReport['ended']['kind'] = 'open',
): ConnectionReport {
  const client = server.addr.includes(':') ? { addr: '2001:db8:1::10', port: 40000 + id } : { addr: '192.0.2.10', port: 40000 + id };
  return {
    id,
    client,
    server,
    ipVersion: server.addr.includes(':') ? 6 : 4,
    start: (E - 1000).toFixed(9),
    end: (E - idleS).toFixed(9),
    ended: { kind, by: null, frame: null, ts: null },
    keepalives: { sent: 0, answered: 0 },
  } as ConnectionReport;
}

/** This host's end of a connection (the server's), or a socket pair the capture does not show. */
function socket(c: ConnectionReport | null, patch: Partial<SocketInfo>): SocketInfo {
  const local = c ? c.server : { addr: '10.0.0.1', port: 6379 };
  const peer = c ? c.client : { addr: '10.0.0.2', port: 51000 };
  const fam = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);
  const s = newSocketInfo('ss', 'ESTABLISHED', { family: fam(local.addr), ...local }, { family: fam(peer.addr), ...peer });
  return Object.assign(s, { idleMs: 1e7, idleFrom: 'socket' }, patch);
}

function scenario() {
  const connections = [
    conn(1, A, 0), // busy
    conn(2, A, 85), // 85 s of 100: at risk, no socket to say otherwise
    conn(3, A, 85), // a keepalive probe due in 10 s: refreshed in time
    conn(4, A, 85), // a probe due in 30 s: too late
    conn(5, B, 50), // the inferred 60 s beats --idle-timeout 100: at risk
    conn(6, A, 10), // its socket's probes go unanswered
    conn(7, A, 500, 'fin'), // over
    conn(8, A, 85), // its socket saw traffic 20 s ago that the capture did not
    conn(9, A, 5), // the capture shows a silent drop
    conn(10, A, 75), // 75 % of the timeout: not yet
    conn(11, A, 90), // its client's probe, due in 5 s, refreshes the path for both ends
  ];
  const byId = (id: number) => connections[id - 1]!;
  const sockets = [
    socket(byId(3), { keepaliveTimer: { state: 'on', nextProbeS: 10 } }),
    socket(byId(4), { keepaliveTimer: { state: 'on', nextProbeS: 30 } }),
    socket(byId(6), { keepaliveTimer: { state: 'on', nextProbeS: 1 }, probesOut: 2 }),
    socket(byId(8), { idleMs: 20_000 }),
    socket(byId(11), {}),
    Object.assign(socket(byId(11), { keepaliveTimer: { state: 'on', nextProbeS: 5 } }), {
      local: { family: 4, ...byId(11).client },
      peer: { family: 4, ...byId(11).server },
    }),
    socket(null, { idleMs: 90_000 }), // not in the capture: 90 s of --idle-timeout 100
  ];
  const diagnoses = [
    { conn: 9, path: '198.51.100.10:5432', verdict: 'silent drop', resets: [], silentDrop: { conn: 9, kind: 'black-hole' } },
  ] as unknown as ConnectionDiagnosis[];
  const snap: LiveSnapshot = {
    source: 'test',
    at: Date.now(),
    packets: 100,
    tcpPackets: 100,
    packetsPerSec: 0,
    captureGaps: 0,
    sourceDrops: null,
    sourceMissedAtMost: null,
    connections,
    openReports: connections.filter((c) => c.ended.kind === 'open'),
    heldConnections: connections.length,
    openConnections: connections.filter((c) => c.ended.kind === 'open').length,
    newestPacketS: newestPacketS(connections),
    diagnoses,
    idleTimeouts: IDLE_TIMEOUTS,
    resetsBy: {},
    keepalives: { sent: 0, answered: 0 },
    evicted: 0,
    refreshMs: 0,
  };
  return { snap, sockets };
}

/** What kad watch prints for this snapshot and socket table: its at-risk lines and a final stats line. */
function watchLines(snap: LiveSnapshot, sockets: SocketInfo[], stated: number | undefined): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), 'kad-at-risk-'));
  try {
    const file = join(dir, 'watch.jsonl');
    const fd = openSync(file, 'w');
    const watch = new WatchOutput(new LiveModel(idleFeed()), stated, fd);
    watch.observe(snap);
    watch.sockets(sockets, snap);
    watch.stats(snap, true);
    watch.flush();
    closeSync(fd);
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function idleFeed() {
  return { label: 'test', start: async () => {}, stop: () => {}, drops: () => null };
}

test('the gauge, kad watch and the TUI rows count the same connections at risk', async () => {
  const { snap, sockets } = scenario();
  // kad watch --sockets --idle-timeout 100: the socket table is read and judged, then a stats line.
  const lines = watchLines(snap, sockets, STATED_S);
  const stats = lines.find((l) => l.type === 'stats')!;
  const atRiskLines = lines.filter((l) => l.type === 'at-risk');

  // The gauge, fed the same snapshot and (as kad watch --metrics --sockets does) the same judged sockets.
  const metrics = new KadMetrics({ processMetrics: false, idleTimeoutS: STATED_S });
  metrics.onSockets(sockets);
  metrics.onSnapshot(snap);
  const gauge = Number(/^kad_connections_at_risk (\S+)$/m.exec(await metrics.registry.metrics())?.[1]);

  // The TUI's rows at the same moment, each with its connection's sockets, as TuiApp builds them.
  const baseSec = E - 2000;
  const bySocket = new Map<number, SocketInfo[]>();
  for (const s of sockets) if (s.conn !== null) bySocket.set(s.conn, [...(bySocket.get(s.conn) ?? []), s]);
  const ctx: RowContext = {
    baseSec,
    baseNsec: 0,
    nowS: E - baseSec,
    idleTimeouts: snap.idleTimeouts,
    statedTimeoutS: STATED_S,
    diagnoses: new Map(snap.diagnoses.map((d) => [d.conn, d])),
    sockets: bySocket,
  };
  const rowsAtRisk = snap.connections
    .map((c) => buildRow(c, ctx))
    .filter((r) => r.atRisk !== null)
    .map((r) => r.id);

  // What the TUI header counts (TuiApp.atRiskCounts): the rows' judgment plus sockets the capture does not show.
  const all = connectionsAtRisk(snap.connections, sockets, riskContext(snap, E, STATED_S));
  const uncaptured = all.filter((a) => a.conn === null).length;

  assert.deepEqual(rowsAtRisk, [2, 4, 5, 6, 9], 'the scenario is what its comments say');
  assert.equal(uncaptured, 1);
  assert.equal(gauge, rowsAtRisk.length + uncaptured);
  assert.equal(stats.atRisk, gauge);
  assert.deepEqual(
    all.filter((a) => a.conn !== null).map((a) => a.conn),
    rowsAtRisk,
  );
  // Every socket of a connection at risk gets its line, and no other socket does.
  const expected = all.flatMap((a) => a.sockets).map((s) => `${endpointText(s.local)} ${endpointText(s.peer)}`);
  assert.deepEqual(atRiskLines.map((l) => `${String(l.local)} ${String(l.peer)}`).sort(), expected.sort());
  assert.deepEqual(atRiskLines.map((l) => String(l.conn)).sort(), ['4', '6', 'null']);
  const header = headerLines({
    title: 't',
    snap,
    state: 'running',
    open: 10,
    sockets: sockets.length,
    atRisk: { total: all.length, uncaptured },
    frozen: false,
  });
  assert.match(header[1]!, new RegExp(`at risk ${gauge} \\(${uncaptured} not in the capture\\)`));
});

/**
 * The four views again, with nothing given: one path bracketed only by a
 * death (T ≤ 12 s), another with nothing known. What each rule flags (a
 * late keepalive, the idle rule against the death, unverified) must be
 * flagged by all of them alike.
 */
test('with nothing given: late keepalives, the bracket and unverified silences count alike everywhere', async () => {
  const P = { addr: '198.51.100.20', port: 6379 };
  const Q = { addr: '203.0.113.30', port: 443 };
  const idleTimeouts: IdleTimeoutInference[] = [
    { path: '198.51.100.20:6379', connections: 1, survivedMaxS: null, survived: 0, diedMinS: 12, died: 1, consistent: true, matches: [] },
  ];
  const connections = [
    conn(1, P, 3), // its socket probes at 12 s, the idle that killed a flow: late
    conn(2, P, 0), // the same socket setting, but busy: not yet (and the newest packet: "now" for every view)
    conn(3, P, 3), // probes at 5 s: in time as far as anyone knows
    conn(4, P, 10), // no socket, 10 s of a path where 12 s killed: the idle rule
    conn(5, Q, 100), // nothing known, 100 s: unknown, not flagged
    conn(6, Q, 200), // nothing known, 200 s: near the 240 s common default, unverified
  ];
  const byId = (id: number) => connections[id - 1]!;
  const sockets = [
    socket(byId(1), { idleMs: 3000, keepaliveTimer: { state: 'on', nextProbeS: 9 } }),
    socket(byId(2), { idleMs: 1000, keepaliveTimer: { state: 'on', nextProbeS: 11 } }),
    socket(byId(3), { idleMs: 3000, keepaliveTimer: { state: 'on', nextProbeS: 2 } }),
  ];
  const snap: LiveSnapshot = {
    ...scenario().snap,
    connections,
    openReports: connections,
    heldConnections: connections.length,
    openConnections: connections.length,
    newestPacketS: newestPacketS(connections),
    diagnoses: [],
    idleTimeouts,
  };
  const lines = watchLines(snap, sockets, undefined);
  const stats = lines.find((l) => l.type === 'stats')!;
  const metrics = new KadMetrics({ processMetrics: false });
  metrics.onSockets(sockets);
  metrics.onSnapshot(snap);
  const gauge = Number(/^kad_connections_at_risk (\S+)$/m.exec(await metrics.exposition())?.[1]);
  const baseSec = E - 2000;
  const bySocket = new Map<number, SocketInfo[]>();
  for (const s of sockets) if (s.conn !== null) bySocket.set(s.conn, [...(bySocket.get(s.conn) ?? []), s]);
  const rows = connections.map((c) =>
    buildRow(c, {
      baseSec,
      baseNsec: 0,
      nowS: E - baseSec,
      idleTimeouts,
      diagnoses: new Map(),
      sockets: bySocket,
    }),
  );
  const all = connectionsAtRisk(connections, sockets, riskContext(snap, E));
  assert.deepEqual(
    rows.filter((r) => r.atRisk !== null).map((r) => [r.id, r.atRisk!.kind]),
    [
      [1, 'late-keepalive'],
      [4, 'idle'],
      [6, 'unverified'],
    ],
    'the scenario is what its comments say',
  );
  assert.equal(rows[4]!.riskText, 'unknown (no timeout known)', 'nothing known is never "ok"');
  assert.equal(all.length, 3);
  assert.equal(gauge, 3);
  assert.equal(stats.atRisk, 3);
  assert.deepEqual(stats.timeouts, { unknown: 2, bracketed: 4, given: 0 });
  const atRisk = lines.filter((l) => l.type === 'at-risk');
  assert.deepEqual(
    atRisk.map((l) => [l.conn, l.risk, l.timeoutState]),
    [[1, 'late-keepalive', 'bracketed']],
    'an at-risk line for the one flagged connection with a socket here',
  );
});

import assert from 'node:assert/strict';
import { newestPacketS } from './helpers/newest-packet.js';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import type { ConnectionReport } from '../src/model/analysis-report.js';
import { connectionReport } from '../src/report/build-file-report.js';
import { buildRow, rowMatches, scrollTop, sortRows, type RowContext } from '../src/tui/conn-rows.js';
import { tableColumns, tableLine } from '../src/tui/conn-table.js';
import { detailLines } from '../src/tui/detail.js';
import { relSeconds } from '../src/tui/format.js';
import { headerLines } from '../src/tui/header.js';
import { applyKey, initialUiState, moveSelection } from '../src/tui/keys.js';
import { computeLayout } from '../src/tui/layout.js';
import type { SocketInfo } from '../src/sockets/socket-types.js';
import { REPO } from './helpers/run-kad.js';

async function load(name: string) {
  const a = await analyzeCapture(join(REPO, 'captures', name));
  const d = diagnoseCapture(a);
  const conns: ConnectionReport[] = [];
  for (let c = 0; c < a.tracker.connectionCount; c++) conns.push(connectionReport(a.tracker, c));
  const ctx = (nowS: number, statedTimeoutS?: number): RowContext => ({
    baseSec: a.tracker.baseSec,
    baseNsec: a.tracker.baseNsec,
    nowS,
    idleTimeouts: d.idleTimeouts,
    statedTimeoutS,
    diagnoses: new Map(d.diagnoses.map((x) => [x.conn, x])),
    sockets: new Map(),
  });
  return { a, d, conns, ctx };
}

const plain = (s: string) => s.replace(/\{[^{}]*\}/g, '');

test('a forged reset is the riskiest row, with its attribution and ended kind', async () => {
  const { conns, ctx } = await load('fw-reset-keepalive.server.pcap');
  const r = buildRow(conns[0]!, ctx(100));
  assert.equal(r.ended, true);
  assert.equal(r.idleS, null);
  assert.equal(r.risk, 100);
  assert.match(r.riskText, /^middlebox RST/);
  const line = plain(tableLine(r, tableColumns([r], 158), false));
  assert.match(line, /192\.0\.2\.10:\d+ +→ 198\.51\.100\.10:5432 +reset \(client\) +5\.\d\ds +- +1\/0 middlebox RST/);
  assert.equal(line.length, 158);
  assert.equal(r.timeout?.source, 'inferred');
  const detail = detailLines(r).map(plain).join('\n');
  assert.match(detail, /verdict: Reset by a middlebox/);
  assert.match(detail, /\[ttl, strong → middlebox\] RST TTL 64/);
  assert.match(detail, /recommendation: TCP keepalive time/);
});

test('an open connection becomes AT RISK as its silence nears the idle timeout', async () => {
  const { a, conns, ctx } = await load('fw-reset-keepalive.client.pcap');
  const c = conns[0]!;
  const last = relSeconds(c.end, a.tracker.baseSec, a.tracker.baseNsec);
  const at = (idle: number) => buildRow(c, ctx(last + idle, 3));
  assert.equal(at(1).idleS, 1);
  assert.match(at(1).riskText, /^ok \(idle 33% of T\)/);
  assert.match(at(2.5).riskText, /^AT RISK: idle 83% of T/);
  assert.match(at(4).riskText, /^AT RISK: idle past T/);
  assert.ok(at(4).risk > at(2.5).risk && at(2.5).risk > at(1).risk);
  // Without a stated timeout nothing has died on this path: nothing is known, and "ok" would claim it is.
  assert.equal(buildRow(c, ctx(last + 100)).riskText, 'unknown (no timeout known)');
  assert.match(buildRow(c, ctx(last + 200)).riskText, /^UNVERIFIED/, 'idle near the shortest common middlebox default');
});

test('sort by risk, idle or age; filter by address or port substring', async () => {
  const reset = await load('fw-reset-keepalive.server.pcap');
  const open = await load('fw-reset-keepalive.client.pcap');
  const resetRow = { ...buildRow(reset.conns[0]!, reset.ctx(10, 3)), id: 2 };
  const rows = [buildRow(open.conns[0]!, open.ctx(10, 3)), resetRow];
  assert.match(rows[0]!.riskText, /AT RISK: idle past T/);
  assert.deepEqual(
    sortRows([...rows], 'risk').map((r) => r.id),
    [1, 2],
    'the live connection at risk can still be saved: above the forged reset',
  );
  const healthy = buildRow(open.conns[0]!, open.ctx(0, 3));
  assert.equal(healthy.atRisk, null);
  assert.deepEqual(
    sortRows([{ ...healthy, id: 3 }, resetRow], 'risk').map((r) => r.id),
    [2, 3],
    'below the live ones at risk, worst first',
  );
  assert.deepEqual(
    sortRows([...rows], 'idle').map((r) => r.id),
    [1, 2],
    'ended connections have no idle time',
  );
  assert.ok(rowMatches(rows[0]!, '5432'));
  assert.ok(rowMatches(rows[0]!, '192.0.2.10'));
  assert.ok(rowMatches(rows[0]!, '#1'));
  assert.ok(!rowMatches(rows[0]!, '10.9.9.9'));
});

test('keys: selection, Enter toggles the detail once, / edits a filter, s cycles the sort', () => {
  const s = initialUiState();
  const shown = [3, 1, 2];
  applyKey(s, { name: 'down' }, shown);
  assert.equal(s.selectedId, 3, 'nothing selected yet: the first row');
  applyKey(s, { name: 'down' }, shown);
  applyKey(s, { name: 'down' }, shown);
  applyKey(s, { name: 'down' }, shown);
  assert.equal(s.selectedId, 2, 'stops at the last row');
  applyKey(s, { name: 'up' }, shown);
  assert.equal(s.selectedId, 1);
  // blessed reports a carriage return as 'return' and as 'enter'.
  applyKey(s, { ch: '\r', name: 'return' }, shown);
  applyKey(s, { ch: '\r', name: 'enter' }, shown);
  assert.equal(s.detail, true);
  applyKey(s, { ch: '/' }, shown);
  for (const ch of '54321') applyKey(s, { ch, name: ch }, shown);
  applyKey(s, { name: 'backspace' }, shown);
  assert.equal(s.filter, '', 'not applied while typing');
  applyKey(s, { name: 'enter' }, shown);
  assert.equal(s.filter, '5432');
  applyKey(s, { ch: 's', name: 's' }, shown);
  assert.equal(s.sort, 'idle');
  applyKey(s, { ch: 's', name: 's' }, shown);
  applyKey(s, { ch: 's', name: 's' }, shown);
  assert.equal(s.sort, 'risk');
  applyKey(s, { ch: '?' }, shown);
  assert.equal(s.help, true);
  assert.equal(applyKey(s, { ch: 'x', name: 'x' }, shown), null);
  assert.equal(s.help, false, 'any key closes the help');
  assert.equal(applyKey(s, { ch: 'p', name: 'p' }, shown), 'pause');
  assert.equal(s.paused, true);
  assert.equal(applyKey(s, { name: 'escape' }, shown), null);
  assert.equal(s.filter, '', 'Esc clears the filter first');
  assert.equal(applyKey(s, { ch: 'q', name: 'q' }, shown), 'quit');
  assert.equal(applyKey(s, { name: 'c', ctrl: true }, shown), 'quit');
  s.filterDraft = 'a';
  assert.equal(applyKey(s, { ch: 'q', name: 'q' }, shown), null, 'q is a letter while typing a filter');
  assert.equal(s.filterDraft, 'aq');
  assert.equal(moveSelection([], 5, 1), null);
});

test('layout: panes tile the terminal at any size, the detail pane takes the room it needs', () => {
  for (const [cols, rows] of [
    [160, 48],
    [80, 24],
    [200, 60],
    [40, 12],
  ] as const) {
    for (const detail of [false, true]) {
      const l = computeLayout(cols, rows, detail, 2, 12);
      const panes = [l.header, l.table, l.timeline, l.log, l.detail].filter((p) => p !== null);
      for (const p of panes) assert.ok(p.width <= cols && p.left + p.width <= cols, `${cols}x${rows}`);
      assert.equal(l.footer.top, rows - 1);
      if (rows >= 24) for (const p of panes) assert.ok(p.top + p.height <= rows - 1, `${cols}x${rows} detail=${detail}`);
      assert.equal(l.detail !== null, detail);
    }
  }
  assert.equal(scrollTop(0, 100, 10, 0), 0);
  assert.equal(scrollTop(15, 100, 10, 0), 6);
  assert.equal(scrollTop(3, 100, 10, 6), 3);
});

test('header: counts, resets by cause, the inferred idle timeout per path', async () => {
  const { a, d, conns } = await load('fw-reset-keepalive.server.pcap');
  const input: Parameters<typeof headerLines>[0] = {
    title: 'replay x.pcap at max speed',
    state: 'ended',
    open: 0,
    frozen: false,
    sockets: null,
    atRisk: { total: 0, uncaptured: 0 },
    snap: {
      source: 'x',
      at: 0,
      packets: a.frames,
      tcpPackets: a.tcpPackets,
      packetsPerSec: 0,
      captureGaps: 0,
      sourceDrops: null,
      sourceMissedAtMost: null,
      connections: conns,
      openReports: conns.filter((c) => c.ended.kind === 'open'),
      heldConnections: conns.length,
      openConnections: conns.filter((c) => c.ended.kind === 'open').length,
      newestPacketS: newestPacketS(conns),
      diagnoses: d.diagnoses,
      idleTimeouts: d.idleTimeouts,
      resetsBy: { middlebox: 1, peer: 0, 'local-stack': 0, unknown: 0 },
      keepalives: { sent: 0, answered: 0 },
      evicted: 0,
      refreshMs: 0,
    },
  };
  const lines = headerLines(input).map(plain);
  assert.match(lines[0]!, /replay x\.pcap at max speed +\[ended\]/);
  assert.match(lines[1]!, /connections 1 \(0 open\) +at risk 0 +resets: middlebox 1 +peer 0 +local-stack 0 +unknown 0/);
  assert.match(lines[2]!, /198\.51\.100\.10:5432 T ≤ 5\.\d\d s \(1 died, 0 survived\)/);
  const live = headerLines({ ...input, sockets: 40, atRisk: { total: 2, uncaptured: 1 } });
  assert.match(live[1]!, /^connections 1 \(0 open\) +\{yellow-fg\}at risk 2 \(1 not in the capture\)\{\/yellow-fg\} +sockets 40 +resets:/);
});

test("a joined socket's facts judge its row, and the detail pane shows the socket", async () => {
  const { a, conns, ctx } = await load('fw-reset-keepalive.client.pcap');
  const c = conns[0]!;
  const last = relSeconds(c.end, a.tracker.baseSec, a.tracker.baseNsec);
  const readAtMs = (a.tracker.baseSec + a.tracker.baseNsec / 1e9 + last + 0.5) * 1000;
  const socket: SocketInfo = {
    source: 'ss',
    state: 'ESTABLISHED',
    local: { family: 4, addr: c.server.addr, port: c.server.port },
    peer: { family: 4, addr: c.client.addr, port: c.client.port },
    timer: { name: 'off', expiresMs: 0, count: 0 },
    keepaliveTimer: { state: 'off' },
    probesOut: 0,
    lastSendMs: 2500,
    lastRecvMs: 2500,
    lastAckMs: 2500,
    idleMs: 2500,
    idleFrom: 'socket',
    cookie: null,
    inode: 42,
    uid: 0,
    pid: 1234,
    process: 'postgres',
    recvQ: 0,
    sendQ: 0,
    conn: c.id,
    side: 'server',
    readAtMs,
    atRisk: false,
    riskReason: null,
  };
  // The capture saw a packet 0.5 s ago that the socket's clocks do not count (a peer's keepalive, say): the shorter silence counts.
  const base = ctx(last + 0.5, 3);
  assert.match(buildRow(c, base).riskText, /^ok \(idle 17% of T\)/);
  const r = buildRow(c, { ...base, sockets: new Map([[c.id, [socket]]]) });
  assert.equal(r.socket, socket);
  assert.match(r.riskText, /^ok \(idle 17% of T\)/);
  // Two seconds later, with a probe due in time: still fine; without one, at risk.
  const later = ctx(last + 2.7, 3);
  const probing = { ...socket, keepaliveTimer: { state: 'on' as const, nextProbeS: 2 } };
  assert.match(buildRow(c, { ...later, sockets: new Map([[c.id, [probing]]]) }).riskText, /^ok \(idle 90% of T, keepalive due\)/);
  const silent = buildRow(c, { ...later, sockets: new Map([[c.id, [socket]]]) });
  assert.match(silent.riskText, /^AT RISK: idle 90% of T/);
  const detail = detailLines(silent).map(plain).join('\n');
  assert.match(detail, /socket \(server end\): ESTABLISHED, keepalive off, idle 2\.50 s, pid 1234 postgres/);
  assert.match(
    detail,
    /at risk: idle 2\.70 s \(per the capture\), 90 % of the 3\.00 s idle timeout given with --idle-timeout, and no keepalive timer/,
  );
});

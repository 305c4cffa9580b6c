import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture, CapturePipeline } from '../src/analyze/analyze-capture.js';
import { readCapture } from '../src/capture/read-capture.js';
import { ConnectionRetirer } from '../src/report/connection-retirer.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { renderFileReport } from '../src/render/text-report.js';
import { makeStyle } from '../src/render/style.js';
import type { FileReport, SetupFailureKind } from '../src/model/analysis-report.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { runKad } from './helpers/run-kad.js';
import { TcpScript } from './helpers/tcp-script.js';
import { present, tsharkFieldRows } from './helpers/tshark-oracle.js';

/*
 * Issue 24's set-up failures and issue 21's items 3, 5 and 15, one built
 * capture each: the verdict kind, the per-connection counts and times, and
 * that the connection stays one (as tshark's tcp.stream does).
 */

const dir = mkdtempSync(join(tmpdir(), 'kad-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const CLIENT = { addr: '192.0.2.10', port: 40000 };
const SERVER = { addr: '198.51.100.10', port: 80 };
const PATH = '198.51.100.10:80';
const T0 = 1_700_000_000_000_000_000n;

function write(pkts: TcpSpec[]): string {
  const file = join(dir, `s${n++}.pcap`);
  writeFileSync(file, buildPcap(pkts, { nano: true }));
  return file;
}

async function report(pkts: TcpSpec[]): Promise<{ file: string; r: FileReport }> {
  const file = write(pkts);
  const analysis = await analyzeCapture(file);
  return { file, r: buildFileReport(analysis, {}, diagnoseCapture(analysis)) };
}

function script(): TcpScript {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  // Captured at the server: its packets leave at 64, the client's arrive 4 hops away.
  s.ttl = [60, 64];
  return s;
}

function setupOf(r: FileReport, conn = 1) {
  return r.diagnoses.find((d) => d.conn === conn)?.setup ?? null;
}

function expectKind(r: FileReport, kind: SetupFailureKind, conn = 1) {
  const v = setupOf(r, conn);
  assert.ok(v, `no set-up verdict for #${conn}: ${JSON.stringify(r.diagnoses)}`);
  assert.equal(v.kind, kind, JSON.stringify(v));
  assert.ok(v.confidence > 0 && v.confidence <= 1);
  assert.ok(v.summary.length > 0 && v.evidence.length > 0);
  return v;
}

/** Issue 24's signature: the client's ACK and data, SYN-ACK again at 1.2 s and 3.2 s, 6 data retransmissions, a RST 13 s later. */
function overflowNoAbort(): TcpScript {
  const s = script();
  s.syn().synAck().ack(0).send(0, 120);
  const resend = [0.3, 0.6, 0.3, 1.2, 2.4, 4.8];
  s.wait(0.2).retransmit(0, 120);
  s.wait(0.8).synAck().ack(0); // 1.2 s
  s.wait(0.3).retransmit(0, 120);
  s.wait(1.6).synAck().ack(0); // 3.2 s
  for (const gap of resend.slice(2)) s.wait(gap).retransmit(0, 120);
  s.wait(4.5);
  return s.rst(1, { withAck: false });
}

test('listen-overflow (tcp_abort_on_overflow=0): SYN-ACK resent after the ACK, data never acknowledged; the set-up verdict is the headline', async () => {
  const { r } = await report(overflowNoAbort().packets);
  assert.equal(r.connections.length, 1);
  const c = r.connections[0]!;
  assert.equal(c.setup.synAckRetransmissions, 2);
  assert.equal(c.setup.synRetransmissions, 0);
  assert.equal(c.c2s.retransmissions, 6);
  const v = expectKind(r, 'listen-overflow');
  assert.ok(v.confidence >= 0.85, `confidence ${v.confidence}`);
  assert.match(v.summary, /listen queue of 198\.51\.100\.10:80 overflowed/);
  assert.match(v.summary, /somaxconn/);
  const d = r.diagnoses[0]!;
  assert.doesNotMatch(d.verdict, /own stack/);
  assert.match(d.verdict, /^The listen queue/);
  assert.deepEqual(r.problemGroups[0]!.problem, { kind: 'setup', setup: 'listen-overflow' });
  const text = renderFileReport(r, makeStyle(false));
  assert.match(text, /▶ 1 connection to 198\.51\.100\.10:80 was lost to a full listen queue/);
  assert.doesNotMatch(
    text.split('\n').find((l) => l.includes('▶'))!,
    /own stack/,
  );
});

test('listen-overflow (tcp_abort_on_overflow=1): a socketless RST right after the ACK names the sysctl', async () => {
  const s = script();
  s.syn().synAck().ack(0).send(0, 80).rst(1, { withAck: false });
  const { r } = await report(s.packets);
  const v = expectKind(r, 'listen-overflow');
  assert.match(v.summary, /tcp_abort_on_overflow/);
});

test('an application abort right after the handshake (RST+ACK from a socket) is an opening reset, not an overflow', async () => {
  const s = script();
  s.handshake().rst(1, { withAck: true, win: 512 });
  const { r } = await report(s.packets);
  expectKind(r, 'opening-reset');
});

test('opening-reset: the client resets during the handshake; the SYN-ACK the server sends again meanwhile revives nothing', async () => {
  const s = script();
  s.syn().synAck().rst(0, { withAck: false }).wait(1).synAck();
  const { r } = await report(s.packets);
  assert.equal(r.connections.length, 1);
  assert.equal(r.connections[0]!.ended.kind, 'reset');
  assert.equal(r.connections[0]!.setup.synAckRetransmissions, 1);
  const v = expectKind(r, 'opening-reset');
  assert.match(v.summary, /during set-up/);
});

test('syn-unanswered: two retries, then the client gives up', async () => {
  const s = script();
  s.syn().wait(1).syn().wait(2).syn();
  // Another connection keeps the capture going long after the last SYN.
  const other = new TcpScript({ addr: '192.0.2.11', port: 41000 }, SERVER, [7000, 9000], T0 + 20_000_000_000n);
  other.handshake().send(0, 10).ack(1);
  const { r } = await report([...s.packets, ...other.packets]);
  const c = r.connections.find((x) => x.id === 1)!;
  assert.equal(c.ended.kind, 'no-answer');
  assert.equal(c.setup.synRetransmissions, 2);
  assert.equal(c.setup.setupS, null);
  const v = expectKind(r, 'syn-unanswered');
  assert.equal(v.confidence, 0.9);
  assert.ok(
    v.evidence.some((e) => /gave up/.test(e)),
    v.evidence.join('; '),
  );
  assert.equal(setupOf(r, 2), null);
});

test('syn-unanswered while the same server accepted other connections: a full listen queue drops SYNs (what a real Linux server does)', async () => {
  const accepted = script();
  accepted.handshake().send(0, 5).ack(1);
  const dropped = new TcpScript({ addr: '192.0.2.10', port: 40001 }, SERVER, [3000, 6000], T0 + 1_000_000n);
  dropped.syn().wait(1).syn().wait(2).syn().wait(8);
  dropped.ttl = [60, 64];
  const { r } = await report([...accepted.packets, ...dropped.packets].sort((x, y) => (x.tsNs < y.tsNs ? -1 : 1)));
  const v = expectKind(r, 'syn-unanswered', 2);
  assert.match(v.summary, /listen queue was probably full/);
  assert.match(v.summary, /somaxconn/);
  assert.ok(
    v.evidence.some((e) => /SYN-ACKs to 1 other connection/.test(e)),
    v.evidence.join('; '),
  );
  // Without such a neighbour the same silence is the path's.
  const alone = script();
  alone.syn().wait(1).syn().wait(2).syn();
  alone.wait(10).raw(0, 'A', 1, 1); // the capture goes on (a stray packet of the client's)
  const { r: r2 } = await report(alone.packets);
  assert.match(setupOf(r2)?.summary ?? '', /black hole/);
});

test('syn-unanswered: a lone SYN at the very end of the capture may be answered yet, so it gets no verdict', async () => {
  const s = script();
  s.syn();
  const { r } = await report(s.packets);
  assert.equal(r.connections[0]!.ended.kind, 'no-answer');
  assert.equal(setupOf(r), null);
});

test('refused: the SYN answered by RST+ACK', async () => {
  const s = script();
  s.syn().raw(1, 'RA', 0, 1001, { win: 0 });
  const { r } = await report(s.packets);
  assert.equal(r.connections[0]!.ended.kind, 'rejected');
  const v = expectKind(r, 'refused');
  assert.match(v.summary, /nothing listens/);
});

test('syn-ack-retries: four SYN-ACK retransmissions for one SYN are one connection; the RTT leaves their waits out', async () => {
  const s = script();
  s.syn().synAck();
  for (const gap of [1, 2, 4, 8]) s.wait(gap).synAck();
  s.ack(0).send(0, 10).ack(1).fin(0).fin(1).ack(0);
  const { file, r } = await report(s.packets);
  assert.equal(r.connections.length, 1);
  const c = r.connections[0]!;
  assert.equal(c.setup.synAckRetransmissions, 4);
  // SYN → first SYN-ACK (0.1 ms) plus last SYN-ACK → ACK (0.1 ms).
  assert.ok(c.handshakeRttS !== null && Math.abs(c.handshakeRttS - 200e-6) < 1e-9, `rtt ${c.handshakeRttS}`);
  assert.ok(c.setup.setupS !== null && Math.abs(c.setup.setupS - 15.0006) < 2e-6, `setup ${c.setup.setupS}`);
  assert.equal(c.ended.kind, 'fin');
  expectKind(r, 'syn-ack-retries');
  assert.deepEqual(tsharkStreams(file), [0]);
});

test('a SYN-cookie server answers the SYN retry with a fresh cookie (another ISN): still one connection, the retry counted', async () => {
  // The cookie's minute counter ticked between the SYN and its retry: the second SYN-ACK's ISN differs (seen in the lab's flood).
  const s = script();
  s.syn().synAck().wait(1).syn();
  s.raw(1, 'SA', 900_000, 1001).raw(0, 'A', 1001, 900_001);
  const { file, r } = await report(s.packets);
  assert.equal(r.connections.length, 1, JSON.stringify(r.connections.map((c) => c.ended)));
  const c = r.connections[0]!;
  assert.equal(c.setup.synRetransmissions, 1);
  assert.ok(c.setup.setupS !== null && c.setup.setupS > 1, `setup ${c.setup.setupS}`);
  assert.deepEqual(tsharkStreams(file), [0]);
});

test('port-reuse: a challenge ACK to the SYN, the client resets, its retried SYN succeeds: one connection', async () => {
  const s = script();
  s.syn().raw(1, 'A', 777_777, 123_456).raw(0, 'R', 123_456, 0).wait(1).syn().synAck().ack(0).send(0, 10).ack(1).fin(0).fin(1).ack(0);
  const { file, r } = await report(s.packets);
  assert.equal(r.connections.length, 1);
  const c = r.connections[0]!;
  assert.equal(c.setup.synRetransmissions, 1);
  assert.equal(c.ended.kind, 'fin');
  const v = expectKind(r, 'port-reuse');
  assert.match(v.summary, /tcp_tw_reuse/);
  assert.equal(r.setupByPath[0]!.failures['port-reuse'], 1);
  assert.deepEqual(tsharkStreams(file), [0]);
});

test("injected-rst (issue 21 item 3): RST+ACK at TTL 46 with the SYN's IP ID, the real SYN-ACK 1.27 s later at TTL 49: one connection", async () => {
  // Captured at the client: its packets leave at 64.
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [64, 49];
  s.ipIds = [4321, 200];
  s.syn();
  s.raw(1, 'RA', 0, 1001, { ttl: 46, ipId: 4321, win: 0 });
  s.wait(1.27).synAck().ack(0).send(0, 50).send(1, 500).ack(0).fin(0).fin(1).ack(0);
  const { file, r } = await report(s.packets);
  assert.equal(r.connections.length, 1, JSON.stringify(r.connections.map((c) => c.ended)));
  assert.equal(r.connections[0]!.ended.kind, 'fin');
  const v = expectKind(r, 'injected-rst');
  assert.ok(v.confidence >= 0.8);
  assert.deepEqual(tsharkStreams(file), [0]);
  // The server's TTL baseline is its real packets', not the RST that came first (which matched itself: "peer").
  assert.equal(r.connections[0]!.s2c.ttl!.first, 49);
  const rst = r.diagnoses[0]!.resets[0]!;
  assert.notEqual(rst.attribution, 'peer');
  assert.ok(
    rst.evidence.some((e) => e.signal === 'ttl' && /TTL 49/.test(e.detail)),
    JSON.stringify(rst.evidence),
  );
});

test('issue 21 item 15: a 3 s set-up with two SYN retries: RTT of the last exchange, set-up time apart, retries counted', async () => {
  const s = script();
  s.syn().wait(1).syn().wait(2);
  s.gapNs = 780_000n;
  s.syn().synAck().ack(0);
  s.gapNs = 100_000n;
  s.send(0, 10).ack(1);
  const { r } = await report(s.packets);
  const c = r.connections[0]!;
  assert.equal(c.setup.synRetransmissions, 2);
  assert.ok(c.handshakeRttS !== null && Math.abs(c.handshakeRttS - 1.56e-3) < 1e-9, `rtt ${c.handshakeRttS}`);
  assert.ok(c.setup.setupS !== null && Math.abs(c.setup.setupS - 3.00176) < 2e-6, `setup ${c.setup.setupS}`);
  assert.deepEqual(r.setupByPath, [{ path: PATH, synRetransmissions: 2, synAckRetransmissions: 0, failures: {} }]);
  assert.match(renderFileReport(r, makeStyle(false)), /set-up 3\.\d+ s from the first SYN, 2 SYN retransmissions/);
});

test("issue 21 item 5: no handshake RTT across a RST, so no timing claim for the client kernel's own RST", async () => {
  // Captured at the client (0 hops): SYN, SYN-ACK, the client's kernel resets, data 15.7 s later.
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [64, 52];
  s.syn().synAck().rst(0, { withAck: false }).wait(15.7).send(0, 40).ack(1);
  const { r } = await report(s.packets);
  const c = r.connections[0]!;
  assert.equal(c.handshakeRttS, null);
  const rst = r.diagnoses[0]!.resets[0]!;
  assert.notEqual(rst.attribution, 'middlebox');
  const timing = rst.evidence.find((e) => e.signal === 'timing');
  assert.ok(!timing || timing.pointsTo !== 'middlebox', JSON.stringify(timing));
});

test('a clean handshake has no set-up verdict and nothing on its path; its RTT is SYN → ACK as before', async () => {
  const s = script();
  s.handshake().send(0, 10).ack(1).fin(0).fin(1).ack(0);
  const { r } = await report(s.packets);
  const c = r.connections[0]!;
  assert.deepEqual(c.setup, { synRetransmissions: 0, synAckRetransmissions: 0, setupS: c.handshakeRttS });
  assert.equal(r.diagnoses.length, 0);
  assert.deepEqual(r.setupByPath, []);
});

test('kad analyze --json carries the contract: connections[].setup, diagnoses[].setup', () => {
  const file = write(overflowNoAbort().packets);
  const res = runKad(['analyze', '--json', file]);
  assert.equal(res.status, 0, res.stderr);
  const doc = JSON.parse(res.stdout) as { files: FileReport[] };
  const f = doc.files[0]!;
  assert.deepEqual(Object.keys(f.connections[0]!.setup).sort(), ['setupS', 'synAckRetransmissions', 'synRetransmissions']);
  const v = f.diagnoses[0]!.setup!;
  assert.equal(v.kind, 'listen-overflow');
  assert.deepEqual(Object.keys(v).sort(), ['confidence', 'conn', 'evidence', 'kind', 'summary']);
});

test('the HTML report shows the set-up verdict with its evidence, and the per-path set-up table', () => {
  const file = write(overflowNoAbort().packets);
  const html = join(dir, 'overflow.html');
  const res = runKad(['analyze', '--html', html, file]);
  assert.equal(res.status, 0, res.stderr);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<strong>Set-up: listen-overflow<\/strong>, confidence 0\.\d\d: the listen queue of 198\.51\.100\.10:80 overflowed/);
  assert.match(page, /<h2>Connection set-up<\/h2>.*<td>198\.51\.100\.10:80<\/td><td>0<\/td><td>2<\/td><td>1 listen-overflow<\/td>/s);
  assert.match(page, /2 SYN-ACK retransmissions/);
});

test("kad watch emits one setup line per set-up verdict, with the connection's endpoints", () => {
  const s = script();
  s.syn().raw(1, 'RA', 0, 1001, { win: 0 });
  const res = runKad(['watch', '-r', write(s.packets)]);
  assert.equal(res.status, 0, res.stderr);
  const lines = res.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.type === 'setup');
  assert.equal(lines.length, 1, res.stdout);
  assert.equal(lines[0]!.kind, 'refused');
  assert.equal(lines[0]!.server, PATH);
  assert.equal(lines[0]!.client, '192.0.2.10:40000');
});

test('per-path set-up totals and set-up problem groups are the same when ended connections are evicted', async () => {
  // Forty failed or slow set-ups over 40 s, each over long before the capture ends: eviction forgets most of them.
  const pkts: TcpSpec[] = [];
  for (let i = 0; i < 40; i++) {
    const s = new TcpScript({ addr: '192.0.2.10', port: 41000 + i }, SERVER, [1000 + i, 5000 + i], T0 + BigInt(i) * 1_000_000_000n, pkts);
    if (i % 4 === 0) s.syn().raw(1, 'RA', 0, 1001 + i, { win: 0 });
    else if (i % 4 === 1) s.syn().synAck().wait(1).synAck().ack(0).send(0, 5).ack(1).fin(0).fin(1).ack(0);
    else if (i % 4 === 2) s.syn().wait(1).syn().synAck().ack(0).fin(0).fin(1).ack(0);
    else s.syn().raw(1, 'A', 777, 1, {}).raw(0, 'R', 1, 0).wait(1).syn().synAck().ack(0).fin(0).fin(1).ack(0);
  }
  new TcpScript({ addr: '192.0.2.99', port: 49999 }, SERVER, [1, 2], T0 + 80_000_000_000n, pkts).handshake().send(0, 5).ack(1);
  pkts.sort((x, y) => (x.tsNs < y.tsNs ? -1 : x.tsNs > y.tsNs ? 1 : 0));
  const file = write(pkts);
  const whole = await analyzeCapture(file);
  const held = buildFileReport(whole, {}, diagnoseCapture(whole));
  const retirer = new ConnectionRetirer({}, 100);
  const pipeline = new CapturePipeline(file, { onTcpPacket: () => {}, evictor: { afterRun: (p) => void retirer.retire(p.analysis()) } });
  const summary = await readCapture(file, pipeline.onPacket, pipeline.readOptions());
  retirer.retire(pipeline.analysis(summary));
  const evicting = pipeline.analysis(summary);
  const bounded = buildFileReport(evicting, {}, diagnoseCapture(evicting), undefined, retirer.tally);
  assert.ok(bounded.evicted && bounded.evicted.connections >= 30, JSON.stringify(bounded.evicted));
  assert.deepEqual(held.setupByPath, [
    { path: PATH, synRetransmissions: 20, synAckRetransmissions: 10, failures: { refused: 10, 'syn-ack-retries': 10, 'port-reuse': 10 } },
  ]);
  assert.deepEqual(bounded.setupByPath, held.setupByPath);
  assert.deepEqual(bounded.problemGroups, held.problemGroups);
});

/** tshark's streams of a capture (sorted, distinct). */
function tsharkStreams(file: string): number[] {
  return [...new Set(tsharkRows(file).map((r) => r.stream))].sort((a, b) => a - b);
}

function tsharkRows(file: string): { stream: number; syn: boolean; ack: boolean; retransmission: boolean }[] {
  const fields = ['tcp.stream', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.analysis.retransmission'];
  return tsharkFieldRows(file, fields).map((v) => ({
    stream: Number(v[0]),
    syn: present(v[1]),
    ack: present(v[2]),
    retransmission: present(v[3]),
  }));
}

test('tshark agrees: its retransmission flags on SYNs and SYN-ACKs are the counts kad reports, per connection', async () => {
  const scenarios: TcpSpec[][] = [];
  const retries = script();
  retries.syn().wait(1).syn().wait(2).syn().synAck().ack(0).send(0, 5).ack(1);
  scenarios.push(retries.packets);
  const synAcks = script();
  synAcks.syn().synAck().wait(1).synAck().wait(2).synAck().ack(0);
  scenarios.push(synAcks.packets);
  scenarios.push(overflowNoAbort().packets);
  const unanswered = script();
  unanswered.syn().wait(1).syn().wait(2).syn().wait(4).syn();
  scenarios.push(unanswered.packets);
  for (const pkts of scenarios) {
    const { file, r } = await report(pkts);
    const rows = tsharkRows(file);
    for (const c of r.connections) {
      const mine = rows.filter((x) => x.stream === c.id - 1 && x.syn && x.retransmission);
      const syn = mine.filter((x) => !x.ack).length;
      const synAck = mine.filter((x) => x.ack).length;
      assert.ok(syn + synAck > 0, `${file}: tshark flagged no SYN retransmission at all`);
      assert.deepEqual([c.setup.synRetransmissions, c.setup.synAckRetransmissions], [syn, synAck], file);
    }
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import type { ConnectionReport, FileReport } from '../src/model/analysis-report.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { buildPcap, type LinkKind, type TcpSpec } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';

const dir = mkdtempSync(join(tmpdir(), 'kad-tracker-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function analyze(pkts: TcpSpec[], link: LinkKind = 'ether'): Promise<FileReport> {
  const file = join(dir, `t${n++}.pcap`);
  writeFileSync(file, buildPcap(pkts, { link, nano: true }));
  return buildFileReport(await analyzeCapture(file));
}

const CLIENT = { addr: '192.0.2.10', port: 40000 };
const SERVER = { addr: '198.51.100.10', port: 5432 };
const T0 = 1_700_000_000_000_000_000n;

function only(r: FileReport): ConnectionReport {
  assert.equal(r.connections.length, 1, 'expected exactly one connection');
  return r.connections[0]!;
}

test('handshake RTT, idle gap, keepalives answered and a FIN close', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.handshake().send(0, 10).ack(1).wait(7200).keepalive(0).ack(1).wait(75).keepalive(0).fin(0).fin(1).ack(0);
  const c = only(await analyze(s.packets));
  assert.equal(c.client.addr, '192.0.2.10');
  assert.equal(c.server.port, 5432);
  assert.equal(c.midStream, false);
  // TcpScript spaces packets 100 µs apart: SYN at 0, ACK of the SYN-ACK at 200 µs.
  assert.ok(c.handshakeRttS !== null && Math.abs(c.handshakeRttS - 200e-6) < 1e-9, `rtt ${c.handshakeRttS}`);
  assert.ok(Math.abs(c.longestIdleS - (7200 + 100e-6)) < 1e-6, `idle ${c.longestIdleS}`);
  assert.deepEqual(c.keepalives, { sent: 2, answered: 1 });
  assert.equal(c.c2s.keepalives, 2);
  assert.equal(c.s2c.keepaliveAcks, 1);
  assert.equal(c.ended.kind, 'fin');
  assert.equal(c.ended.by, 'client');
  assert.equal(c.c2s.synOptions?.mss, 1460);
  assert.equal(c.c2s.synOptions?.wscale, 7);
  assert.equal(c.c2s.packets + c.s2c.packets, s.packets.length);
  assert.equal(c.c2s.payloadBytes, 10);
});

test('a RST ends the connection and is charged to the side that sent it, with its TTL', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [63, 63];
  s.handshake().send(0, 10).ack(1).wait(400).keepalive(1).rst(0, { ttl: 64, withAck: false });
  const c = only(await analyze(s.packets));
  assert.equal(c.ended.kind, 'reset');
  assert.equal(c.ended.by, 'client');
  assert.equal(c.ended.frame, s.packets.length);
  assert.deepEqual(c.c2s.ttl, { first: 63, min: 63, max: 64 });
  assert.equal(c.c2s.rsts, 1);
  assert.deepEqual(c.keepalives, { sent: 1, answered: 0 });
});

test('refused, unanswered, half-closed and still-open connections', async () => {
  const pkts: TcpSpec[] = [];

  pkts.push({ src: '192.0.2.10', dst: '198.51.100.10', sport: 40001, dport: 5432, seq: 1, ack: 0, flags: 'S', tsNs: T0 });
  pkts.push({ src: '198.51.100.10', dst: '192.0.2.10', sport: 5432, dport: 40001, seq: 0, ack: 2, flags: 'RA', tsNs: T0 + 1000n });
  pkts.push({ src: '192.0.2.10', dst: '198.51.100.10', sport: 40002, dport: 5432, seq: 9, ack: 0, flags: 'S', tsNs: T0 + 2000n });
  new TcpScript({ addr: '192.0.2.10', port: 40003 }, SERVER, [1, 2], T0 + 3000n, pkts).handshake().send(0, 5).fin(0).ack(1);
  new TcpScript({ addr: '192.0.2.10', port: 40004 }, SERVER, [1, 2], T0 + 4000n, pkts).handshake().send(1, 5).ack(0);
  const r = await analyze(pkts.sort((a, b) => (a.tsNs < b.tsNs ? -1 : 1)));
  const byPort = new Map(r.connections.map((c) => [c.client.port, c]));
  assert.equal(byPort.get(40001)?.ended.kind, 'rejected');
  assert.equal(byPort.get(40001)?.ended.by, 'server');
  assert.equal(byPort.get(40002)?.ended.kind, 'no-answer');
  assert.equal(byPort.get(40003)?.ended.kind, 'half-closed');
  assert.equal(byPort.get(40003)?.ended.by, 'client');
  assert.equal(byPort.get(40004)?.ended.kind, 'open');
});

test('port reuse: a new SYN after the close starts a new connection on the same 4-tuple', async () => {
  const pkts: TcpSpec[] = [];
  new TcpScript(CLIENT, SERVER, [1000, 5000], T0, pkts).handshake().send(0, 10).ack(1).fin(0).fin(1).ack(0);
  new TcpScript(CLIENT, SERVER, [90000, 70000], T0 + 10_000_000_000n, pkts).handshake().send(0, 20).ack(1);
  const r = await analyze(pkts);
  assert.equal(r.connections.length, 2);
  assert.equal(r.connections[0]!.ended.kind, 'fin');
  assert.equal(r.connections[1]!.ended.kind, 'open');
  assert.equal(r.connections[1]!.c2s.payloadBytes, 20);
  assert.equal(r.connections[1]!.firstFrame, 9); // 8 packets of the first connection come before
});

test('mid-stream pickup guesses the server from the lower port and still finds keepalives', async () => {
  const s = new TcpScript({ addr: '192.0.2.10', port: 51000 }, { addr: '198.51.100.10', port: 443 }, [5, 6], T0);
  // First packet seen goes server → client.
  s.send(1, 100).ack(0).send(0, 10).ack(1).wait(60).keepalive(0).ack(1);
  const c = only(await analyze(s.packets));
  assert.equal(c.midStream, true);
  assert.equal(c.server.port, 443);
  assert.equal(c.client.port, 51000);
  assert.equal(c.handshakeRttS, null);
  assert.deepEqual(c.keepalives, { sent: 1, answered: 1 });
});

test('sequence numbers wrapping past 2^32 keep keepalive detection exact', async () => {
  const s = new TcpScript(CLIENT, SERVER, [0xffffff00, 0xfffffffe], T0);
  s.handshake().send(0, 0x100).ack(1).send(1, 1).ack(0).wait(10).keepalive(0).ack(1).wait(10).keepalive(1).ack(0);
  const c = only(await analyze(s.packets));
  assert.deepEqual(c.keepalives, { sent: 2, answered: 2 });
  assert.equal(c.c2s.retransmissions + c.s2c.retransmissions, 0);
  assert.equal(c.captureGaps, 0);
});

test('retransmissions and zero-window probes are told apart from keepalives', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1, 2], T0);
  s.handshake().send(0, 1000);
  s.win[1] = 0;
  s.ack(1).zeroWindowProbe(0);
  s.win[1] = 5000;
  // After an RTO: the same bytes 100 µs later, IP ID and all, would be one packet captured twice (K_DUPLICATE).
  s.ack(1).send(0, 100).wait(0.2).retransmit(0, 100).ack(1);
  const c = only(await analyze(s.packets));
  assert.equal(c.c2s.zeroWindowProbes, 1);
  assert.equal(c.c2s.retransmissions, 1);
  assert.equal(c.keepalives.sent, 0);
});

test('IPv6 and every supported link type decode to the same connection', async () => {
  const links: LinkKind[] = ['ether', 'vlan', 'qinq', 'sll', 'sll2', 'raw', 'null', 'loop'];
  for (const v6 of [false, true]) {
    const cl = v6 ? { addr: '2001:db8::10', port: 40000 } : CLIENT;
    const sv = v6 ? { addr: '2001:db8:0:1::10', port: 5432 } : SERVER;
    const s = new TcpScript(cl, sv, [1, 2], T0);
    s.handshake().send(0, 10).ack(1).wait(5).keepalive(0).ack(1);
    for (const link of [...links, v6 ? 'ipv6' : 'ipv4'] as LinkKind[]) {
      const c = only(await analyze(s.packets, link));
      assert.equal(c.ipVersion, v6 ? 6 : 4, link);
      assert.equal(c.client.addr, cl.addr, link);
      assert.equal(c.server.addr, sv.addr, link);
      assert.deepEqual(c.keepalives, { sent: 1, answered: 1 }, link);
    }
  }
});

test('snaplen-truncated frames still count their full TCP length', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1, 2], T0);
  s.handshake().send(0, 1400).ack(1).wait(30).keepalive(0).ack(1);
  for (const p of s.packets) p.snap = 68;
  const c = only(await analyze(s.packets));
  assert.equal(c.c2s.payloadBytes, 1400);
  assert.deepEqual(c.keepalives, { sent: 1, answered: 1 });
});

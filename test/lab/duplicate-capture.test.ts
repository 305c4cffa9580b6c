import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startCapture } from '../../lab/capture.js';
import { Cleanup } from '../../lab/cleanup.js';
import { sleep } from '../../lab/exec.js';
import { ADDR, createTopology } from '../../lab/topology.js';
import { analyzeCapture } from '../../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../../src/diagnose/diagnose-capture.js';
import type { FileReport } from '../../src/model/analysis-report.js';
import { buildFileReport } from '../../src/report/build-file-report.js';
import { itemAt } from '../helpers/checked.js';
import { labSkip } from '../helpers/lab-gate.js';
import { namespacesLeft } from '../helpers/namespaces-left.js';
import { tsharkFrames } from '../helpers/tshark-oracle.js';

/*
 * A real capture that holds every packet twice: tcpdump on "any" in the
 * router namespace between a client and a server sees each packet arrive on
 * one veth and leave on the other (the copy one TTL lower, same IP ID and
 * bytes otherwise). kad must tell the connection's story exactly as the
 * server's own edge capture, which holds each packet once, tells it; tshark,
 * which has no notion of a copy, calls the second copies retransmissions.
 */

const skip = labSkip(import.meta.url, { root: 'network namespaces', tools: ['ip', 'tcpdump', 'tshark'] });
const PREFIX = `kad-accuracy-code-${process.pid}`;
const PORT = 5432;
const work = mkdtempSync(join(tmpdir(), 'kad-dup-lab-'));
after(() => rmSync(work, { recursive: true, force: true }));

// Echoes what it reads; the client probes after 1 s idle (answered), writes again, and closes.
const SERVER_JS = `require('node:net').createServer((s) => { s.on('data', (d) => s.write(d)); s.on('end', () => s.end()); }).listen(${PORT}, '${ADDR[4].server}', () => process.stdout.write('ready\\n'));`;
const CLIENT_JS = `
const s = require('node:net').connect(${PORT}, '${ADDR[4].server}', () => {
  s.setKeepAlive(true, 1000);
  s.write('hello');
  setTimeout(() => s.write('again'), 2600);
  setTimeout(() => s.end(), 2800);
});
s.on('data', () => {});
s.on('close', () => process.exit(0));`;

function inNs(ns: string, js: string): { child: ReturnType<typeof spawn>; output: Promise<string> } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const output = new Promise<string>((resolve) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) resolve(out);
    });
    child.on('close', () => resolve(out));
  });
  return { child, output };
}

async function report(file: string): Promise<FileReport> {
  const a = await analyzeCapture(file);
  return buildFileReport(a, {}, diagnoseCapture(a));
}

test('a router capture on "any" (every packet twice): the story of the server edge, each copy counted once', { skip }, async () => {
  const cleanup = new Cleanup();
  try {
    const topo = await createTopology(PREFIX, cleanup);
    const anyFile = join(work, 'router-any.pcap');
    const edgeFile = join(work, 'server-edge.pcap');
    const onAny = await startCapture(topo.ns.firewall, 'any', anyFile, cleanup);
    const onEdge = await startCapture(topo.ns.server, 'kad-s', edgeFile, cleanup);
    const server = inNs(topo.ns.server, SERVER_JS);
    cleanup.add(
      'stop the echo server',
      async () => void server.child.kill('SIGTERM'),
      () => void server.child.kill('SIGKILL'),
    );
    await server.output;
    const client = inNs(topo.ns.client, CLIENT_JS);
    await new Promise<void>((resolve) => client.child.on('close', () => resolve()));
    await sleep(300);
    await onAny.stop();
    await onEdge.stop();
    if (process.env.KAD_KEEP_DUP_LAB)
      for (const f of [anyFile, edgeFile]) copyFileSync(f, join(process.env.KAD_KEEP_DUP_LAB, f.split('/').pop()!));

    const twice = await report(anyFile);
    const once = await report(edgeFile);
    const a = itemAt(twice.connections, 0, 'router connection');
    const b = itemAt(once.connections, 0, 'edge connection');
    assert.equal(twice.connections.length, 1);
    assert.ok(twice.tcpPackets >= 14, `${twice.tcpPackets} TCP frames`);
    assert.equal(twice.duplicateFrames * 2, twice.tcpPackets, 'every packet was captured exactly twice');
    assert.equal(a.duplicates, twice.duplicateFrames);
    assert.equal(once.duplicateFrames, 0);
    for (const d of ['c2s', 's2c'] as const) {
      assert.equal(a[d].packets, b[d].packets, `${d} packets`);
      assert.equal(a[d].payloadBytes, b[d].payloadBytes, `${d} payload`);
      assert.equal(a[d].retransmissions, 0, `${d} retransmissions`);
      assert.equal(a[d].keepalives, b[d].keepalives, `${d} keepalives`);
      assert.equal(a[d].keepaliveAcks, b[d].keepaliveAcks, `${d} keepalive ACKs`);
    }
    assert.ok(a.keepalives.sent >= 1 && a.keepalives.answered === a.keepalives.sent, JSON.stringify(a.keepalives));
    assert.equal(a.ended.kind, 'fin');
    assert.equal(b.ended.kind, 'fin');
    assert.deepEqual(twice.diagnoses, []);
    // tshark's view of the same file: the second copy of each data segment is a "retransmission" to it.
    assert.ok(
      tsharkFrames(anyFile).some((f) => f.retransmission),
      'tshark calls some copies retransmissions',
    );
  } finally {
    const failures = await cleanup.run();
    assert.deepEqual(failures, []);
    assert.deepEqual(namespacesLeft(PREFIX), []);
  }
});

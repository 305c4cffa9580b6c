import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPcap, type TcpSpec } from '../helpers/capture-builder.js';
import { REPO } from '../helpers/run-kad.js';
import { TcpScript } from '../helpers/tcp-script.js';
import { compareWithTshark } from '../helpers/tshark-oracle.js';
import { labSkip } from '../helpers/lab-gate.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const CAPTURE_RE = /\.(pcap|pcapng|cap)(\.gz)?$/;

function capturesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => CAPTURE_RE.test(f))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Edge cases of the keepalive rules in one capture: wrap, reuse, pickup, 1-byte probes, ZWP. */
function edgeCaseCapture(): TcpSpec[] {
  const all: TcpSpec[] = [];
  const cli = (port: number) => ({ addr: '192.0.2.10', port });
  const srv = { addr: '198.51.100.10', port: 5432 };
  let t = 1_700_000_000_000_000_000n;
  const next = () => (t += 1_000_000_000n);

  // Sequence numbers wrap in the middle of the connection, then keepalives straddle 0.
  const wrap = new TcpScript(cli(40001), srv, [0xfffffff0, 0x7ffffff0], next(), all);
  wrap.handshake().send(0, 100).ack(1).send(1, 20).ack(0).wait(30).keepalive(0).ack(1).wait(30).keepalive(0).ack(1);
  // The server side probes with one garbage byte (Windows / BSD style).
  wrap.wait(10).keepalive(1, 1).ack(0).fin(0).fin(1).ack(0);

  // Port reuse: same 4-tuple, a new SYN with a new ISN after the FIN close.
  const reuse = new TcpScript(cli(40001), srv, [123456, 654321], next() + 200_000_000_000n, all);
  reuse.handshake().send(0, 10).ack(1).wait(20).keepalive(0).rst(1, { ttl: 61 });

  // Picked up mid-stream: no handshake in the capture at all.
  const mid = new TcpScript(cli(40002), srv, [777777, 888888], next(), all);
  mid.send(0, 50).ack(1).send(1, 70).ack(0).wait(75).keepalive(0).ack(1).keepalive(0).ack(1).wait(5).send(0, 1).ack(1);

  // Zero window, a zero-window probe, then a retransmission and a keepalive nobody answers.
  const zw = new TcpScript(cli(40003), srv, [1, 2], next(), all);
  zw.handshake().send(0, 1000);
  zw.win[1] = 0;
  zw.ack(1).wait(0.2).zeroWindowProbe(0).ack(1);
  zw.win[1] = 64240;
  zw.ack(1).send(0, 200).wait(1).retransmit(0, 200).ack(1).wait(60).keepalive(0).wait(1).keepalive(0).rst(0, { withAck: false });

  all.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  return all;
}

test('kind agrees with tshark on every packet of the synthetic edge cases', { skip: noTshark }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kad-oracle-'));
  try {
    const file = join(dir, 'edge-cases.pcap');
    writeFileSync(file, buildPcap(edgeCaseCapture()));
    assert.deepEqual(compareWithTshark(file), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kind agrees with tshark on every packet of every bundled capture', { skip: noTshark }, () => {
  const files = [...capturesIn(join(REPO, 'captures')), ...capturesIn(join(REPO, 'test', 'fixtures'))];
  assert.ok(files.length > 0, 'no captures found');
  const diffs = files.flatMap((f) => compareWithTshark(f));
  assert.deepEqual(diffs, []);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { K_KEEPALIVE } from '../src/track/packet-kind.js';
import { NOTE_MAX } from '../src/track/reset-note-layout.js';
import { buildPcap, buildPcapng, type TcpSpec } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';
import { pushAll } from '../src/util/extremes.js';

// The WebAssembly tracker writes each RST down in a small ring that the
// JavaScript side empties after each run of records; a run stops early when
// the ring fills. Here one chunk holds several ringfuls of RSTs, and the
// contexts are checked against the packets that were written.

const dir = mkdtempSync(join(tmpdir(), 'kad-resets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CONNECTIONS = NOTE_MAX * 3 + 7;
const pkts: TcpSpec[] = [];
const connOf = new Map<TcpSpec, number>();
for (let i = 0; i < CONNECTIONS; i++) {
  const client = i % 5 === 0 ? { addr: '2001:db8::1', port: 20000 + i } : { addr: '192.0.2.1', port: 20000 + i };
  const server = i % 5 === 0 ? { addr: '2001:db8::2', port: 5432 } : { addr: '198.51.100.2', port: 5432 };
  const own: TcpSpec[] = [];
  const s = new TcpScript(client, server, [1000 + i, 90000 + i], 1_700_000_000_000_000_000n + BigInt(i) * 1_000n, own);
  s.ipIds = [100 + i, i % 3 === 0 ? null : 7 + i];
  s.timestamps = i % 2 === 0;
  s.handshake().send(0, 10).ack(1);
  if (i % 4 === 0) s.wait(30).keepalive(0);
  else s.wait(0.01).send(0, 5);
  s.rst(1, { ttl: 40 + (i % 20), ipId: i % 7, win: i % 3, timestamps: i % 6 === 0, withAck: i % 2 === 0 });
  if (i % 9 === 0) s.rst(1, { seq: 123456 + i });
  for (const p of own) connOf.set(p, i);
  pushAll(pkts, own);
}
pkts.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
const pcap = join(dir, 'resets.pcap');
const pcapng = join(dir, 'resets.pcapng');
writeFileSync(pcap, buildPcap(pkts));
writeFileSync(pcapng, buildPcapng(pkts));

test('every RST gets a context, in order, however many fill the ring in one run', async () => {
  const walked = (await analyzeCapture(pcap)).tracker;
  const perFrame = (await analyzeCapture(pcapng)).tracker;
  const rstFrames = pkts.flatMap((p, i) => (p.flags.includes('R') ? [i + 1] : []));
  assert.ok(rstFrames.length > 3 * NOTE_MAX, `${rstFrames.length} RSTs`);
  assert.deepEqual(
    walked.resets.map((r) => r.frame),
    rstFrames,
  );
  // The pcapng path tracks frame by frame: the same contexts.
  assert.deepEqual(walked.resets, perFrame.resets);
});

test("each context holds the RST's header and the packet before it", async () => {
  const t = (await analyzeCapture(pcap)).tracker;
  const base = pkts[0]!.tsNs;
  const lastOf = new Map<number, number>();
  const previous = new Map<number, number>();
  pkts.forEach((p, i) => {
    const c = connOf.get(p)!;
    if (p.flags.includes('R')) previous.set(i + 1, lastOf.get(c) ?? 0);
    lastOf.set(c, i + 1);
  });
  let keepalives = 0;
  for (const r of t.resets) {
    const p = pkts[r.frame - 1]!;
    const at = `frame ${r.frame}`;
    assert.equal(r.ttl, p.ttl, at);
    assert.equal(r.ipId, p.src.includes(':') ? -1 : p.ipId, at);
    assert.equal(r.window, p.win, at);
    assert.equal(r.seq, p.seq, at);
    assert.equal(r.withAck, p.flags.includes('A'), at);
    assert.equal(r.hasTimestamps, p.options?.ts !== undefined, at);
    assert.equal(r.time, Number(p.tsNs - base), at);
    const prevFrame = previous.get(r.frame)!;
    const prev = pkts[prevFrame - 1]!;
    assert.equal(r.previous?.frame, prevFrame, at);
    assert.equal(r.previous?.time, Number(prev.tsNs - base), at);
    assert.equal(r.previous?.dir, prev.src === p.src ? r.dir : r.dir ^ 1, at);
    // A keepalive after 30 s of silence is logged: its idle time comes with it.
    if (r.previous?.kind === K_KEEPALIVE) {
      keepalives++;
      assert.ok(r.previous.idleNs !== null && Math.abs(r.previous.idleNs - 30e9) < 1e6, `${at}: idle ${r.previous.idleNs}`);
    }
  }
  assert.equal(keepalives, Math.ceil(CONNECTIONS / 4));
});

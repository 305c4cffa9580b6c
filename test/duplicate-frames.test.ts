import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import type { FileReport } from '../src/model/analysis-report.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { renderHtmlReport } from '../src/render/html-report.js';
import { makeStyle } from '../src/render/style.js';
import { renderFileReport } from '../src/render/text-report.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { itemAt } from './helpers/checked.js';
import { kadEvents } from './helpers/run-kad.js';
import { TcpScript } from './helpers/tcp-script.js';
import { tempCaptures } from './helpers/temp-captures.js';
import { compareWithTshark, tsharkFrames } from './helpers/tshark-oracle.js';

/*
 * A frame captured twice (a capture on "any" sees a bridged or forwarded
 * packet on two interfaces; a mirror port fed by both ends sees it twice) is
 * one packet. tshark has no notion of it: it calls the second copy of a data
 * segment a retransmission and of a keepalive another keepalive. editcap -D
 * does know it (an identical frame within the last few), so it is the oracle:
 * kad must count exactly the frames editcap removes, and tell the same story
 * about the capture with them as about the capture without them, which
 * tshark then checks packet by packet.
 */

const files = tempCaptures('kad-dup-', 'pcap');

const CLIENT = { addr: '192.0.2.10', port: 40000 };
const SERVER = { addr: '198.51.100.10', port: 5432 };
const CLIENT6 = { addr: '2001:db8:1::10', port: 40000 };
const SERVER6 = { addr: '2001:db8:2::10', port: 5432 };
const T0 = 1_700_000_000_000_000_000n;

/** The packet just written, once more 20 µs later (as the second interface or the mirror's other port sees it). */
function copyLast(s: TcpScript, change: Partial<TcpSpec> = {}): void {
  const last = itemAt(s.packets, s.packets.length - 1, 'packet');
  s.packets.push({ ...last, tsNs: last.tsNs + 20_000n, ...change });
}

/**
 * Handshake, data both ways, a keepalive answered after 5 s idle, one real
 * retransmission 300 ms later (its own IP ID), then a RST forged in the
 * server's name: with every kind of packet copied once.
 */
function conversation(v6: boolean): { packets: TcpSpec[]; copies: [number, number] } {
  const s = new TcpScript(v6 ? CLIENT6 : CLIENT, v6 ? SERVER6 : SERVER, [1000, 5000], T0);
  s.ipIds = [100, 2000];
  s.timestamps = true;
  s.ttl = [64, 60];
  const copies: [number, number] = [0, 0];
  const copy = (side: 0 | 1) => {
    copyLast(s);
    copies[side]++;
  };
  s.handshake();
  s.packets.splice(1, 0, { ...itemAt(s.packets, 0, 'SYN'), tsNs: itemAt(s.packets, 0, 'SYN').tsNs + 20_000n });
  copies[0]++;
  s.send(0, 100);
  copy(0);
  s.ack(1);
  copy(1);
  s.send(1, 50);
  copy(1);
  s.ack(0);
  s.wait(5).keepalive(0);
  copy(0);
  s.ack(1);
  copy(1);
  s.send(0, 10).wait(0.3).retransmit(0, 10);
  s.rst(1, { ttl: 64 });
  copy(1);
  return { packets: s.packets, copies };
}

async function report(file: string): Promise<FileReport> {
  const a = await analyzeCapture(file);
  return buildFileReport(a, {}, diagnoseCapture(a));
}

function editcapDedup(file: string): { out: string; removed: number } {
  const out = file.replace(/\.pcap$/, '.dedup.pcap');
  const r = spawnSync('editcap', ['-D', '5', file, out]);
  assert.equal(r.status, 0, r.stderr.toString());
  const frames = (f: string) => spawnSync('capinfos', ['-c', '-M', '-T', '-r', f]).stdout.toString().trim().split('\t').pop();
  return { out, removed: Number(frames(file)) - Number(frames(out)) };
}

/** What a connection's story is, without the counts of copies. */
function story(r: FileReport) {
  const c = itemAt(r.connections, 0, 'connection');
  return {
    connections: r.connections.length,
    ended: { ...c.ended, frame: null },
    c2s: c.c2s,
    s2c: c.s2c,
    keepalives: c.keepalives,
    verdicts: r.diagnoses.map((d) => d.resets.map((v) => [v.attribution, v.evidence.map((e) => e.signal)])),
    headline: r.problemGroups.map((g) => [g.problem, g.side, g.connections]),
  };
}

for (const v6 of [false, true]) {
  test(`duplicates (${v6 ? 'IPv6' : 'IPv4'}): counted once per copy, exactly the frames editcap -D removes, and the story is the deduplicated capture's`, async () => {
    const { packets, copies } = conversation(v6);
    const file = files.write(buildPcap(packets, { nano: true }));
    const dedup = editcapDedup(file);
    assert.equal(dedup.removed, copies[0] + copies[1], 'the test made exact copies');

    const withCopies = await report(file);
    const without = await report(dedup.out);
    assert.equal(withCopies.duplicateFrames, dedup.removed);
    assert.equal(without.duplicateFrames, 0);
    const c = itemAt(withCopies.connections, 0, 'connection');
    assert.equal(c.duplicates, copies[0] + copies[1]);
    // Text, HTML and JSON say it alike.
    const text = renderFileReport(withCopies, makeStyle(false));
    assert.match(text, new RegExp(`${dedup.removed} TCP frames were captured twice`));
    assert.match(text, new RegExp(`${dedup.removed} duplicate frames \\(captured twice, counted once\\)`));
    const html = renderHtmlReport({ tool: 'keepalive-doctor', version: 'test', files: [withCopies], comparisons: [], merged: null });
    assert.match(html, new RegExp(`${dedup.removed} TCP frames were captured twice`));
    assert.match(html, new RegExp(`${dedup.removed} duplicate frames \\(captured twice, counted once\\)`));
    assert.equal(c.c2s.retransmissions, 1, 'only the real retransmission');
    assert.equal(c.s2c.rsts, 1);
    assert.deepEqual(story(withCopies), story(without));
    assert.equal(itemAt(withCopies.diagnoses, 0, 'diagnosis').resets.length, 1, 'one RST, one verdict');

    // Frame by frame: the copies are 'duplicate', every other frame is what it is without them, and tshark agrees there.
    const ours = kadEvents(file);
    const deduped = kadEvents(dedup.out);
    const kept = ours.filter((e) => e.kind !== 'duplicate');
    assert.equal(ours.length - kept.length, dedup.removed);
    assert.deepEqual(
      kept.map((e) => e.kind),
      deduped.map((e) => e.kind),
    );
    assert.deepEqual(compareWithTshark(dedup.out), []);
    // tshark's own view of the copies: the second copy of a data segment is a "retransmission" to it.
    const ts = tsharkFrames(file);
    const dataCopy = ours.find((e) => e.kind === 'duplicate' && (e.len as number) > 0)!;
    assert.equal(itemAt(ts, (dataCopy.frame as number) - 1, 'tshark frame').retransmission, true);
  });
}

test('duplicates: a router capture on "any" sees the forwarded copy one hop lower, still one packet', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ipIds = [100, 2000];
  s.handshake().send(0, 100);
  copyLast(s, { ttl: 63 });
  s.ack(1);
  copyLast(s, { ttl: 63 });
  const r = await report(files.write(buildPcap(s.packets)));
  const c = itemAt(r.connections, 0, 'connection');
  assert.equal(r.duplicateFrames, 2);
  assert.equal(c.c2s.retransmissions, 0);
  assert.deepEqual(c.c2s.ttl, { first: 64, min: 64, max: 64 }, 'a copy leaves the TTL baseline alone');
});

test('not duplicates: a retransmission with a new IP ID moments later, and an identical IPv6 segment 300 ms later', async () => {
  const v4 = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  v4.ipIds = [100, 2000];
  v4.gapNs = 20_000n;
  v4.handshake().send(0, 100).retransmit(0, 100);
  const r4 = await report(files.write(buildPcap(v4.packets)));
  assert.equal(r4.duplicateFrames, 0);
  assert.equal(itemAt(r4.connections, 0, 'connection').c2s.retransmissions, 1);

  const v6 = new TcpScript(CLIENT6, SERVER6, [1000, 5000], T0);
  v6.handshake().send(0, 100).wait(0.3).retransmit(0, 100);
  const r6 = await report(files.write(buildPcap(v6.packets)));
  assert.equal(r6.duplicateFrames, 0);
  assert.equal(itemAt(r6.connections, 0, 'connection').c2s.retransmissions, 1);
});

test('a RST after both FINs is no reset story: the end says closed normally and no headline says reset', async () => {
  const s = new TcpScript(CLIENT, SERVER, [1000, 5000], T0);
  s.ttl = [64, 60];
  s.handshake().send(0, 10).ack(1).fin(0).fin(1).ack(0).rst(1, { ttl: 62 });
  const r = await report(files.write(buildPcap(s.packets)));
  assert.equal(itemAt(r.connections, 0, 'connection').ended.kind, 'fin');
  assert.deepEqual(r.diagnoses, []);
  assert.deepEqual(r.problemGroups, []);
});

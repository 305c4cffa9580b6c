import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureError } from '../src/capture/capture-error.js';
import { buildFrame, buildPcap, LINKTYPE, sampleConversation, type LinkKind, type TcpSpec } from './helpers/capture-builder.js';
import { buildPcapRaw } from './helpers/capture-writer.js';
import { collect } from './helpers/record-collector.js';
import { itemAt } from './helpers/checked.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kad-pcap-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function writeTmp(data: Buffer, ext = 'pcap'): string {
  const p = path.join(dir, `f${fileNo++}.${ext}`);
  fs.writeFileSync(p, data);
  return p;
}

/** Mixed traffic: IPv4 handshake/data, an IPv6 RST, a frame cut by the snaplen. */
function specs(): TcpSpec[] {
  const s = sampleConversation(6);
  s.push({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    sport: 5000,
    dport: 80,
    seq: 4294967295,
    ack: 1,
    flags: 'RA',
    tsNs: 1_700_000_002_000_000_001n,
  });
  s.push({
    src: '203.0.113.7',
    dst: '192.0.2.1',
    sport: 443,
    dport: 40000,
    seq: 1,
    ack: 2,
    flags: 'PA',
    payload: 1400,
    snap: 96,
    tsNs: 1_700_000_002_999_999_999n,
  });
  return s;
}

const ALL_LINKS: LinkKind[] = ['ether', 'vlan', 'qinq', 'sll', 'sll2', 'raw', 'ipv4', 'ipv6', 'null', 'loop'];

function linkSpecs(link: LinkKind): TcpSpec[] {
  if (link === 'ipv4') return specs().filter((p) => !p.src.includes(':'));
  if (link === 'ipv6') return specs().filter((p) => p.src.includes(':'));
  return specs();
}

for (const nano of [false, true]) {
  for (const bigEndian of [false, true]) {
    const variant = `${nano ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian`;
    test(`pcap ${variant}: every link type, fields match the spec`, async () => {
      for (const link of ALL_LINKS) {
        const pkts = linkSpecs(link);
        const file = writeTmp(buildPcap(pkts, { link, nano, bigEndian }));
        const { recs, summary } = await collect(file);
        assert.equal(recs.length, pkts.length, link);
        let offset = 24;
        pkts.forEach((p, i) => {
          const r = itemAt(recs, i, 'record');
          const full = buildFrame(p, link, bigEndian);
          const cap = Math.min(p.snap ?? full.length, full.length);
          const ns = p.tsNs % 1_000_000_000n;
          assert.equal(r.frame, i + 1);
          assert.equal(r.tsSec, Number(p.tsNs / 1_000_000_000n), `${link} frame ${i + 1} sec`);
          assert.equal(r.tsNsec, Number(nano ? ns : (ns / 1000n) * 1000n), `${link} frame ${i + 1} nsec`);
          assert.equal(r.capLen, cap);
          assert.equal(r.origLen, full.length);
          assert.equal(r.linkType, LINKTYPE[link]);
          assert.equal(r.interfaceId, 0);
          assert.equal(r.fileOffset, offset);
          assert.ok(r.data.equals(full.subarray(0, cap)), `${link} frame ${i + 1} bytes`);
          offset += 16 + cap;
        });
        assert.deepEqual(summary, {
          format: 'pcap',
          gzip: false,
          frames: pkts.length,
          bytes: fs.statSync(file).size,
          linkTypes: [LINKTYPE[link]],
          tsResolutionNs: nano ? 1 : 1000,
          dropsReported: null,
        });
      }
    });
  }
}

test('pcap: the FCS bits above the link type are masked off', async () => {
  const frames = sampleConversation(2).map((p) => ({ tsNs: p.tsNs, data: buildFrame(p) }));
  // F bit set, 4-byte FCS (2 × 16 bits) in bits 29..31.
  const file = writeTmp(buildPcapRaw(frames, { linkType: 1, network: 0x50000001 }));
  const { recs, summary } = await collect(file);
  assert.equal(recs.length, 2);
  assert.equal(itemAt(recs, 0, 'record').linkType, 1);
  assert.deepEqual(summary.linkTypes, [1]);
});

test('pcap: a fraction of a second ≥ 1 s is carried into the seconds', async () => {
  const data = buildFrame(itemAt(sampleConversation(1), 0, 'packet'));
  const buf = buildPcapRaw([{ tsNs: 1_700_000_000_000_000_000n, data }], { linkType: 1 });
  buf.writeUInt32LE(2_500_000, 24 + 4);
  const { recs } = await collect(writeTmp(buf));
  assert.equal(itemAt(recs, 0, 'record').tsSec, 1_700_000_002);
  assert.equal(itemAt(recs, 0, 'record').tsNsec, 500_000_000);
});

test('pcap: modified (Kuznetzov) pcap is rejected with a clear message', async () => {
  for (const bigEndian of [false, true]) {
    const frames = sampleConversation(1).map((p) => ({ tsNs: p.tsNs, data: buildFrame(p) }));
    const file = writeTmp(buildPcapRaw(frames, { linkType: 1, magic: 0xa1b2cd34, bigEndian }));
    await assert.rejects(collect(file), (err: unknown) => {
      assert.ok(err instanceof CaptureError);
      assert.equal(err.offset, 0);
      assert.match(err.message, /Kuznetzov/);
      return true;
    });
  }
});

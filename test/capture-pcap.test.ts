import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { CaptureError } from '../src/capture/capture-error.js';
import {
  buildFrame,
  buildPcap,
  LINKTYPE,
  sampleConversation,
  type LinkKind,
  type TcpSpec,
  mixedPcapConversation,
} from './helpers/capture-builder.js';
import { buildPcapRaw } from './helpers/capture-writer.js';
import { collect } from './helpers/record-collector.js';
import { itemAt } from './helpers/checked.js';
import { tempCaptures } from './helpers/temp-captures.js';

const { write: writeTmp } = tempCaptures('kad-pcap-', 'pcap');

const ALL_LINKS: LinkKind[] = ['ether', 'vlan', 'qinq', 'sll', 'sll2', 'raw', 'ipv4', 'ipv6', 'null', 'loop'];

function linkSpecs(link: LinkKind): TcpSpec[] {
  if (link === 'ipv4') return mixedPcapConversation().filter((p) => !p.src.includes(':'));
  if (link === 'ipv6') return mixedPcapConversation().filter((p) => p.src.includes(':'));
  return mixedPcapConversation();
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

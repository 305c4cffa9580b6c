/**
 * The pcapng reader against tshark, on the kinds of file
 * test/capture-pcapng.test.ts checks against the spec (byte orders,
 * resolutions and offsets, several interfaces, sections, simple, obsolete
 * and unknown blocks, statistics), and on files editcap and mergecap wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  buildFrame,
  buildPcap,
  epochString,
  LINKTYPE,
  rawFrame,
  tsharkFrames,
  mixedPcapngConversation,
} from '../helpers/capture-builder.js';
import { PcapngWriter } from '../helpers/capture-writer.js';
import { labSkip } from '../helpers/lab-gate.js';
import { type Got, collect } from '../helpers/record-collector.js';
import { itemAt } from '../helpers/checked.js';
import { tempCaptures } from '../helpers/temp-captures.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const noEditcap = labSkip(import.meta.url, { tools: ['editcap'] });
const noMergecap = labSkip(import.meta.url, { tools: ['mergecap', 'tshark'] });

const { dir, write: writeTmp } = tempCaptures('kad-pcapng-tools-', 'pcapng');

function assertMatchesTshark(file: string, recs: Got[]): void {
  const want = tsharkFrames(file);
  assert.equal(recs.length, want.length, 'frame count');
  recs.forEach((r, i) => {
    const expected = itemAt(want, i, 'tshark frame');
    assert.equal(r.frame, expected.frame, `frame ${i + 1} number`);
    // tshark prints no time for blocks without a timestamp (SPB); the reader reports 0.
    assert.equal(epochString(r.tsSec, r.tsNsec), expected.epoch || '0.000000000', `frame ${i + 1} time`);
    assert.equal(r.capLen, expected.capLen, `frame ${i + 1} cap_len`);
    assert.equal(r.origLen, expected.len, `frame ${i + 1} len`);
  });
}

// Resolutions tshark 4.0 converts exactly (ticks·10^9 must fit in 64 bits).
const RESOLUTIONS = [0, 1, 3, 6, 7, 9, 10, 0x80, 0x81, 0x8a, 0x94, 0x9e, 0xa0, 0xa1];

const FILES: Array<[name: string, build: () => PcapngWriter]> = [
  ...[false, true].map((bigEndian): [string, () => PcapngWriter] => [
    `${bigEndian ? 'big' : 'little'}-endian, one interface`,
    () => {
      const w = new PcapngWriter().shb({ bigEndian }).idb({ linkType: 1 });
      for (const p of mixedPcapngConversation()) w.epb(0, rawFrame(p));
      return w;
    },
  ]),
  ...[undefined, 86_400, -3600].map((tsoffset): [string, () => PcapngWriter] => [
    `one interface per if_tsresol, if_tsoffset ${tsoffset}`,
    () => {
      const w = new PcapngWriter().shb({ bigEndian: tsoffset === 86_400 });
      for (const tsresol of RESOLUTIONS) w.idb({ linkType: 1, tsresol, tsoffset });
      RESOLUTIONS.forEach((_, ifId) => mixedPcapngConversation().forEach((p) => w.epb(ifId, rawFrame(p))));
      return w;
    },
  ]),
  [
    'interfaces with different link types, resolutions and offsets',
    () => {
      const w = new PcapngWriter()
        .shb()
        .idb({ linkType: LINKTYPE.ether })
        .idb({ linkType: LINKTYPE.raw, tsresol: 9, tsoffset: 1000 })
        .idb({ linkType: LINKTYPE.sll, tsresol: 0x94 })
        .idb({ linkType: LINKTYPE.sll2, tsresol: 3 });
      const links = ['ether', 'raw', 'sll'] as const;
      mixedPcapngConversation().forEach((p, i) => w.epb(i % 3, rawFrame(p, links[i % 3])));
      return w;
    },
  ],
  [
    'three sections, the second big-endian',
    () => {
      const conv = mixedPcapngConversation();
      const w = new PcapngWriter().shb().idb({ linkType: 1 }).idb({ linkType: 101, tsresol: 9 });
      w.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
      w.epb(1, rawFrame(itemAt(conv, 1, 'packet'), 'raw'));
      w.shb({ bigEndian: true }).idb({ linkType: 113, tsresol: 0x8a });
      w.epb(0, rawFrame(itemAt(conv, 2, 'packet'), 'sll'));
      w.epb(0, rawFrame(itemAt(conv, 3, 'packet'), 'sll'));
      w.shb().idb({ linkType: 1 });
      w.epb(0, rawFrame(itemAt(conv, 4, 'packet')));
      return w;
    },
  ],
  [
    'simple packet blocks under a 64-byte snaplen',
    () => {
      const conv = mixedPcapngConversation();
      const w = new PcapngWriter().shb().idb({ linkType: 1, snaplen: 64 });
      w.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
      const f1 = buildFrame(itemAt(conv, 1, 'packet'));
      w.spb({ tsNs: 0n, data: f1.subarray(0, 64), origLen: f1.length });
      w.spb({ tsNs: 0n, data: buildFrame(itemAt(conv, 3, 'packet')) });
      return w;
    },
  ],
  [
    'obsolete packet blocks, drop counts, unknown blocks, then interface statistics',
    () => {
      const conv = mixedPcapngConversation();
      const w = new PcapngWriter().shb().idb({ linkType: 1 }).idb({ linkType: 101, tsresol: 9 });
      w.block(4, Buffer.alloc(4));
      w.pb(0, rawFrame(itemAt(conv, 0, 'packet')), 3);
      w.pb(1, rawFrame(itemAt(conv, 1, 'packet'), 'raw'), 0xffff);
      w.block(0x77777777, Buffer.from('a block of a type nobody knows'));
      w.epb(0, rawFrame(itemAt(conv, 2, 'packet')), { flagsOpt: 1, dropCount: 4n });
      w.block(0x80000001, Buffer.alloc(40, 0xee));
      w.epb(1, rawFrame(itemAt(conv, 3, 'packet'), 'raw'));
      w.isb(0, itemAt(conv, 4, 'packet').tsNs, { ifdrop: 5n });
      w.isb(0, itemAt(conv, 4, 'packet').tsNs, { ifdrop: 7n, osdrop: 2n });
      w.isb(1, itemAt(conv, 4, 'packet').tsNs, { osdrop: 3n });
      w.isb(1, itemAt(conv, 4, 'packet').tsNs);
      w.epb(0, rawFrame(itemAt(conv, 4, 'packet')));
      return w;
    },
  ],
];

for (const [name, build] of FILES) {
  test(`pcapng, ${name}: frame numbers, times and lengths agree with tshark`, { skip: noTshark }, async () => {
    const file = writeTmp(build().toBuffer());
    const { recs } = await collect(file);
    assert.ok(recs.length > 0);
    assertMatchesTshark(file, recs);
  });
}

test('pcapng: blocks tshark shows as frames (custom, journal, sysdig events) keep frame numbers aligned', { skip: noTshark }, async () => {
  const conv = mixedPcapngConversation();
  const w = new PcapngWriter().shb().idb({ linkType: 1 });
  w.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
  w.block(0x0bad, Buffer.alloc(8));
  w.epb(0, rawFrame(itemAt(conv, 1, 'packet')));
  w.block(0x40000bad, Buffer.alloc(8));
  w.block(0x204, Buffer.alloc(64));
  w.block(0x216, Buffer.alloc(64));
  w.block(0x221, Buffer.alloc(64));
  w.block(9, Buffer.from('__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hello\n'));
  w.block(4, Buffer.alloc(4));
  w.epb(0, rawFrame(itemAt(conv, 2, 'packet')));
  const file = writeTmp(w.toBuffer());
  const { recs } = await collect(file);
  const want = tsharkFrames(file);
  assert.equal(want.length, 9);
  assert.deepEqual(
    recs.map((r) => r.frame),
    [1, 3, 9],
  );
  for (const r of recs) assert.equal(r.capLen, itemAt(want, r.frame - 1, 'tshark frame').capLen);
});

test('pcapng: editcap -F pcapng conversion reads the same packets as the pcap', { skip: noEditcap }, async () => {
  for (const nano of [false, true]) {
    const pcap = writeTmp(buildPcap(mixedPcapngConversation(), { nano, link: 'sll2' }), 'pcap');
    const ng = path.join(dir, `conv-${nano}.pcapng`);
    execFileSync('editcap', ['-F', 'pcapng', pcap, ng]);
    const a = await collect(pcap);
    const b = await collect(ng);
    assert.equal(b.summary.format, 'pcapng');
    assert.equal(b.summary.tsResolutionNs, nano ? 1 : 1000);
    assert.deepEqual(
      b.recs.map((r) => ({ ...r, fileOffset: 0 })),
      a.recs.map((r) => ({ ...r, fileOffset: 0 })),
    );
  }
});

test('pcapng: mergecap of two link types agrees with tshark', { skip: noMergecap }, async () => {
  const conv = mixedPcapngConversation();
  const a = writeTmp(
    buildPcap(
      conv.filter((_, i) => i % 2 === 0),
      { link: 'ether' },
    ),
    'pcap',
  );
  const b = writeTmp(
    buildPcap(
      conv.filter((_, i) => i % 2 === 1),
      { link: 'sll', nano: true },
    ),
    'pcap',
  );
  const merged = path.join(dir, 'merged.pcapng');
  execFileSync('mergecap', ['-F', 'pcapng', '-w', merged, a, b]);
  const { recs, summary } = await collect(merged);
  assert.equal(recs.length, conv.length);
  assert.deepEqual(new Set(summary.linkTypes), new Set([1, 113]));
  assertMatchesTshark(merged, recs);
  // Chronological merge: the frames come back in the original order.
  recs.forEach((r, i) => assert.equal(r.linkType, i % 2 === 0 ? 1 : 113));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readCapture } from '../src/capture/read-capture.js';
import { CaptureError } from '../src/capture/capture-error.js';
import { makeUnit, setTicks } from '../src/capture/timestamp.js';
import {
  buildFrame,
  buildIpTcp,
  buildPcapng,
  LINKTYPE,
  rawFrame,
  wrapLink,
  type TcpSpec,
  mixedPcapngConversation,
} from './helpers/capture-builder.js';
import { PcapngWriter, tsToTicks } from './helpers/capture-writer.js';
import { itemAt } from './helpers/checked.js';
import { collect } from './helpers/record-collector.js';
import { tempCaptures } from './helpers/temp-captures.js';

const { write: writeTmp } = tempCaptures('kad-pcapng-', 'pcapng');

/** The reference conversion, in BigInt, straight from the pcapng spec. */
function expectTs(ticks: bigint, resol: number, offsetSec: number): { sec: number; nsec: number } {
  const n = BigInt(resol & 0x7f);
  const per = resol & 0x80 ? 1n << n : 10n ** n;
  return { sec: Number(ticks / per) + offsetSec, nsec: Number(((ticks % per) * 1_000_000_000n) / per) };
}

for (const bigEndian of [false, true]) {
  test(`pcapng ${bigEndian ? 'big' : 'little'}-endian: fields match the spec`, async () => {
    const pkts = mixedPcapngConversation();
    const w = new PcapngWriter().shb({ bigEndian }).idb({ linkType: 1 });
    for (const p of pkts) w.epb(0, rawFrame(p));
    const file = writeTmp(w.toBuffer());
    const offsets = w.offsets().slice(2);
    const { recs, summary } = await collect(file);
    assert.equal(recs.length, pkts.length);
    pkts.forEach((p, i) => {
      const rec = itemAt(recs, i, 'record');
      const full = buildFrame(p);
      const cap = Math.min(p.snap ?? full.length, full.length);
      const ns = p.tsNs % 1_000_000_000n;
      assert.equal(rec.frame, i + 1);
      assert.equal(rec.tsSec, Number(p.tsNs / 1_000_000_000n));
      assert.equal(rec.tsNsec, Number((ns / 1000n) * 1000n));
      assert.equal(rec.capLen, cap);
      assert.equal(rec.origLen, full.length);
      assert.equal(rec.linkType, 1);
      assert.equal(rec.fileOffset, itemAt(offsets, i, 'offset'));
      assert.ok(rec.data.equals(full.subarray(0, cap)));
    });
    assert.deepEqual(summary, {
      format: 'pcapng',
      gzip: false,
      frames: pkts.length,
      bytes: fs.statSync(file).size,
      linkTypes: [1],
      tsResolutionNs: 1000,
      dropsReported: null,
    });
  });
}

test('pcapng: if_tsresol (10^-n and 2^-n) and if_tsoffset', async () => {
  // Resolutions tshark 4.0 converts exactly (ticks·10^9 must fit in 64 bits).
  const resols = [0, 1, 3, 6, 7, 9, 10, 0x80, 0x81, 0x8a, 0x94, 0x9e, 0xa0, 0xa1];
  for (const tsoffset of [undefined, 86_400, -3600]) {
    // One interface per resolution, all in one file (test/lab/capture-pcapng.test.ts gives tshark the same).
    const w = new PcapngWriter().shb({ bigEndian: tsoffset === 86_400 });
    for (const tsresol of resols) w.idb({ linkType: 1, tsresol, tsoffset });
    const plan: { p: TcpSpec; ifId: number }[] = [];
    resols.forEach((_, ifId) => mixedPcapngConversation().forEach((p) => plan.push({ p, ifId })));
    for (const { p, ifId } of plan) w.epb(ifId, rawFrame(p));
    const file = writeTmp(w.toBuffer());
    const { recs } = await collect(file);
    assert.equal(recs.length, plan.length);
    plan.forEach(({ p, ifId }, i) => {
      const rec = itemAt(recs, i, 'record');
      const resol = itemAt(resols, ifId, 'resolution');
      const want = expectTs(tsToTicks(p.tsNs, resol, tsoffset ?? 0), resol, tsoffset ?? 0);
      const label = `resol 0x${resol.toString(16)} offset ${tsoffset}`;
      assert.equal(rec.interfaceId, ifId, label);
      assert.equal(rec.tsSec, want.sec, label);
      assert.equal(rec.tsNsec, want.nsec, label);
    });
  }
  for (const resol of resols) {
    const { summary } = await collect(writeTmp(buildPcapng(mixedPcapngConversation(), { tsresol: resol })));
    const tickNs = resol & 0x80 ? 1e9 / 2 ** (resol & 0x7f) : 10 ** (9 - resol);
    assert.equal(summary.tsResolutionNs, Math.max(1, Math.round(tickNs)), `resol 0x${resol.toString(16)}`);
  }
});

test('pcapng: resolutions finer than 1 ns still convert exactly', async () => {
  // Such fine ticks only fit in 64 bits when if_tsoffset brings the epoch close.
  const tsoffset = 1_699_999_990;
  for (const resol of [10, 12, 15, 17, 0xa2, 0xa8, 0xb8]) {
    const pkts = mixedPcapngConversation();
    const file = writeTmp(buildPcapng(pkts, { tsresol: resol, tsoffset }));
    const { recs, summary } = await collect(file);
    pkts.forEach((p, i) => {
      const rec = itemAt(recs, i, 'record');
      const want = expectTs(tsToTicks(p.tsNs, resol, tsoffset), resol, tsoffset);
      assert.equal(rec.tsSec, want.sec);
      assert.equal(rec.tsNsec, want.nsec);
    });
    assert.equal(summary.tsResolutionNs, 1);
  }
});

test('pcapng: unsupported resolution 10^-20 is a CaptureError', async () => {
  const w = new PcapngWriter().shb().idb({ linkType: 1, tsresol: 20 });
  w.epbTicks(0, 12345n, rawFrame(itemAt(mixedPcapngConversation(), 0, 'packet')));
  const file = writeTmp(w.toBuffer());
  await assert.rejects(collect(file), (err: unknown) => err instanceof CaptureError && /resolution/.test(err.message));
});

test('timestamp conversion is exact for random 64-bit tick counts', () => {
  // Deterministic xorshift so a failure reproduces.
  let s = 0x9e3779b9;
  const rnd = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const out = { tsSec: 0, tsNsec: 0 };
  const resols: number[] = [];
  for (let n = 0; n <= 19; n++) resols.push(n);
  for (let n = 0; n <= 63; n++) resols.push(0x80 | n);
  for (const resol of resols) {
    const unit = makeUnit(resol, 0);
    assert.ok(unit);
    const per = resol & 0x80 ? 1n << BigInt(resol & 0x7f) : 10n ** BigInt(resol);
    // Seconds must stay below 2^53 to be representable at all.
    const limit = per << 53n < 1n << 64n ? per << 53n : 1n << 64n;
    const edge = [0n, 1n, per - 1n, per, per + 1n, limit - 1n, limit - per, (1n << 32n) - 1n, 1n << 32n, (1n << 52n) + 12345n];
    const samples: bigint[] = edge.filter((t) => t >= 0n && t < limit);
    for (let i = 0; i < 2000; i++) {
      const t = ((BigInt(rnd()) << 32n) | BigInt(rnd())) % limit;
      samples.push(t, t - (t % per), t - (t % per) + per - 1n);
    }
    for (const t of samples) {
      if (t < 0n || t >= limit) continue;
      setTicks(out, Number(t >> 32n), Number(t & 0xffffffffn), unit);
      const want = expectTs(t, resol, 0);
      if (out.tsSec !== want.sec || out.tsNsec !== want.nsec) {
        assert.fail(`resol 0x${resol.toString(16)} ticks ${t}: got ${out.tsSec}.${out.tsNsec}, want ${want.sec}.${want.nsec}`);
      }
    }
  }
});

test('pcapng: several interfaces with different link types, resolutions and offsets', async () => {
  const conv = mixedPcapngConversation();
  const w = new PcapngWriter()
    .shb()
    .idb({ linkType: LINKTYPE.ether })
    .idb({ linkType: LINKTYPE.raw, tsresol: 9, tsoffset: 1000 })
    .idb({ linkType: LINKTYPE.sll, tsresol: 0x94 })
    .idb({ linkType: LINKTYPE.sll2, tsresol: 3 });
  const links = ['ether', 'raw', 'sll'] as const;
  const plan = conv.map((p, i) => ({ p, ifId: i % 3 }));
  for (const { p, ifId } of plan) w.epb(ifId, rawFrame(p, itemAt(links, ifId, 'link')));
  const file = writeTmp(w.toBuffer());
  const { recs, summary } = await collect(file);
  const resol = [6, 9, 0x94];
  const offs = [0, 1000, 0];
  plan.forEach(({ p, ifId }, i) => {
    const rec = itemAt(recs, i, 'record');
    assert.equal(rec.interfaceId, ifId);
    assert.equal(rec.linkType, LINKTYPE[itemAt(links, ifId, 'link')]);
    const res = itemAt(resol, ifId, 'resolution');
    const off = itemAt(offs, ifId, 'offset');
    const want = expectTs(tsToTicks(p.tsNs, res, off), res, off);
    assert.equal(rec.tsSec, want.sec);
    assert.equal(rec.tsNsec, want.nsec);
  });
  // The sll2 interface carried no packet, so it is not a link type "seen".
  assert.deepEqual(summary.linkTypes, [1, 101, 113]);
  assert.equal(summary.tsResolutionNs, 1);
});

test('pcapng: a second section switches byte order and restarts interface numbering', async () => {
  const conv = mixedPcapngConversation();
  const w = new PcapngWriter().shb().idb({ linkType: 1 }).idb({ linkType: 101, tsresol: 9 });
  w.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
  w.epb(1, rawFrame(itemAt(conv, 1, 'packet'), 'raw'));
  w.shb({ bigEndian: true }).idb({ linkType: 113, tsresol: 0x8a });
  w.epb(0, rawFrame(itemAt(conv, 2, 'packet'), 'sll'));
  w.epb(0, rawFrame(itemAt(conv, 3, 'packet'), 'sll'));
  w.shb().idb({ linkType: 1 });
  w.epb(0, rawFrame(itemAt(conv, 4, 'packet')));
  const file = writeTmp(w.toBuffer());
  const { recs, summary } = await collect(file);
  assert.deepEqual(
    recs.map((r) => [r.frame, r.interfaceId, r.linkType]),
    [
      [1, 0, 1],
      [2, 1, 101],
      [3, 0, 113],
      [4, 0, 113],
      [5, 0, 1],
    ],
  );
  const w2 = expectTs(tsToTicks(itemAt(conv, 2, 'packet').tsNs, 0x8a), 0x8a, 0);
  assert.equal(itemAt(recs, 2, 'record').tsSec, w2.sec);
  assert.equal(itemAt(recs, 2, 'record').tsNsec, w2.nsec);
  assert.ok(itemAt(recs, 2, 'record').data.equals(buildFrame(itemAt(conv, 2, 'packet'), 'sll')));
  assert.deepEqual(summary.linkTypes, [1, 101, 113]);

  // Interface 1 existed only in the first section.
  const bad = new PcapngWriter().shb().idb({ linkType: 1 }).idb({ linkType: 1 }).shb({ bigEndian: true }).idb({ linkType: 1 });
  bad.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
  bad.epb(1, rawFrame(itemAt(conv, 1, 'packet')));
  const badOffsets = bad.offsets();
  const got: number[] = [];
  await assert.rejects(
    readCapture(writeTmp(bad.toBuffer()), (r) => got.push(r.frame)),
    (err: unknown) => {
      assert.ok(err instanceof CaptureError);
      assert.equal(err.offset, itemAt(badOffsets, badOffsets.length - 1, 'offset'));
      assert.match(err.message, /interface 1, which was never defined/);
      return true;
    },
  );
  assert.deepEqual(got, [1]);
});

test('pcapng: simple packet blocks take interface 0 and its snaplen, and have no timestamp', async () => {
  const conv = mixedPcapngConversation();
  const w = new PcapngWriter().shb().idb({ linkType: 1, snaplen: 64 });
  w.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
  const f1 = buildFrame(itemAt(conv, 1, 'packet'));
  const f2 = buildFrame(itemAt(conv, 2, 'packet'));
  w.spb({ tsNs: 0n, data: f1.subarray(0, 64), origLen: f1.length });
  w.spb({ tsNs: 0n, data: buildFrame(itemAt(conv, 3, 'packet')) });
  const file = writeTmp(w.toBuffer());
  const { recs } = await collect(file);
  assert.equal(recs.length, 3);
  assert.deepEqual(
    recs.slice(1).map((r) => [r.frame, r.tsSec, r.tsNsec, r.interfaceId, r.capLen, r.origLen]),
    [
      [2, 0, 0, 0, 64, f1.length],
      [3, 0, 0, 0, buildFrame(itemAt(conv, 3, 'packet')).length, buildFrame(itemAt(conv, 3, 'packet')).length],
    ],
  );
  assert.ok(itemAt(recs, 1, 'record').data.equals(f1.subarray(0, 64)));

  // A writer that kept more than the snaplen (tshark rejects the file): the snaplen still wins.
  w.spb({ tsNs: 0n, data: f2 });
  const r2 = await collect(writeTmp(w.toBuffer()));
  assert.deepEqual([itemAt(r2.recs, 3, 'record').capLen, itemAt(r2.recs, 3, 'record').origLen], [64, f2.length]);
  assert.ok(itemAt(r2.recs, 3, 'record').data.equals(f2.subarray(0, 64)));
});

test('pcapng: blocks tshark shows as frames (custom, journal, sysdig events) keep frame numbers aligned', async () => {
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
  const { recs, summary } = await collect(file);
  assert.deepEqual(
    recs.map((r) => r.frame),
    [1, 3, 9],
  );
  assert.equal(summary.frames, 9);
});

test('pcapng: obsolete packet blocks, statistics drops, unknown blocks', async () => {
  const conv = mixedPcapngConversation();
  const w = new PcapngWriter().shb().idb({ linkType: 1 }).idb({ linkType: 101, tsresol: 9 });
  w.block(4, Buffer.alloc(4)); // an empty name resolution block
  w.pb(0, rawFrame(itemAt(conv, 0, 'packet')), 3);
  w.pb(1, rawFrame(itemAt(conv, 1, 'packet'), 'raw'), 0xffff);
  w.block(0x77777777, Buffer.from('a block of a type nobody knows'));
  w.epb(0, rawFrame(itemAt(conv, 2, 'packet')), { flagsOpt: 1, dropCount: 4n });
  w.block(0x80000001, Buffer.alloc(40, 0xee));
  w.epb(1, rawFrame(itemAt(conv, 3, 'packet'), 'raw'));
  const file = writeTmp(w.toBuffer());
  const { recs, summary } = await collect(file);
  assert.deepEqual(
    recs.map((r) => [r.frame, r.interfaceId, r.linkType]),
    [
      [1, 0, 1],
      [2, 1, 101],
      [3, 0, 1],
      [4, 1, 101],
    ],
  );
  assert.ok(itemAt(recs, 1, 'record').data.equals(buildIpTcp(itemAt(conv, 1, 'packet'))));
  // No ISB: the per-packet counts (PB drops + epb_dropcount) are all there is.
  assert.equal(summary.dropsReported, 3 + 4);

  // Interface statistics are cumulative: the last ISB of each interface counts.
  w.isb(0, itemAt(conv, 4, 'packet').tsNs, { ifdrop: 5n });
  w.isb(0, itemAt(conv, 4, 'packet').tsNs, { ifdrop: 7n, osdrop: 2n });
  w.isb(1, itemAt(conv, 4, 'packet').tsNs, { osdrop: 3n });
  w.isb(1, itemAt(conv, 4, 'packet').tsNs);
  w.epb(0, rawFrame(itemAt(conv, 4, 'packet')));
  const file2 = writeTmp(w.toBuffer());
  const r2 = await collect(file2);
  assert.equal(r2.recs.length, 5);
  assert.equal(r2.summary.dropsReported, 7 + 2 + 3);
});

test('pcapng: file without drop information reports null drops', async () => {
  const file = writeTmp(buildPcapng(mixedPcapngConversation()));
  const { summary } = await collect(file);
  assert.equal(summary.dropsReported, null);
});

test('pcapng: frames are the bytes written, including a non-TCP frame', async () => {
  const udp = wrapLink(Buffer.from('450000', 'hex'), 'ether');
  const w = new PcapngWriter().shb().idb({ linkType: 1 });
  w.epb(0, { tsNs: 1_700_000_000_000_000_000n, data: udp });
  w.epb(0, { tsNs: 1_700_000_000_000_000_000n, data: Buffer.alloc(0), origLen: 60 });
  const { recs } = await collect(writeTmp(w.toBuffer()));
  assert.ok(itemAt(recs, 0, 'record').data.equals(udp));
  assert.equal(itemAt(recs, 1, 'record').capLen, 0);
  assert.equal(itemAt(recs, 1, 'record').origLen, 60);
});

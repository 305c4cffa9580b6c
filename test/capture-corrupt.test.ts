import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { readCapture, readCaptureBuffer, readCaptureStream } from '../src/capture/read-capture.js';
import { CaptureError } from '../src/capture/capture-error.js';
import { buildFrame, buildPcap, rawFrame, sampleConversation, type TcpSpec } from './helpers/capture-builder.js';
import { buildPcapRaw, pcapHeader, PcapngWriter } from './helpers/capture-writer.js';
import { itemAt } from './helpers/checked.js';
import { tempCaptures } from './helpers/temp-captures.js';

const { dir, write: writeTmp } = tempCaptures('kad-corrupt-', 'cap');

const READER_URL = new URL('../src/capture/read-capture.js', import.meta.url).href;

function specs(): TcpSpec[] {
  const s = sampleConversation(6);
  s.push({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    sport: 5000,
    dport: 80,
    seq: 7,
    ack: 1,
    flags: 'PA',
    payload: 700,
    tsNs: 1_700_000_002_000_000_001n,
  });
  return s;
}

/** A capture plus, from the writer's side, where each record starts and which are packets. */
interface Layout {
  name: string;
  data: Buffer;
  /** Start offsets of the records/blocks after the file header, plus the end. */
  bounds: number[];
  /** For each record in `bounds` (but the last entry): is it delivered as a packet? */
  isPacket: boolean[];
  /** Bytes before the first record (pcap header; 0 for pcapng whose SHB is a block). */
  headerLen: number;
}

function pcapLayout(): Layout {
  const frames = specs().map((p) => rawFrame(p));
  const data = buildPcapRaw(frames, { linkType: 1 });
  const bounds = [24];
  for (const f of frames) bounds.push(itemAt(bounds, bounds.length - 1, 'bound') + 16 + f.data.length);
  return { name: 'pcap', data, bounds, isPacket: frames.map(() => true), headerLen: 24 };
}

function pcapngLayout(): Layout {
  const conv = specs();
  const w = new PcapngWriter().shb().idb({ linkType: 1, snaplen: 1000 }).idb({ linkType: 101, tsresol: 0x94, tsoffset: 5 });
  const isPacket = [false, false, false];
  conv.forEach((p, i) => {
    if (i === 2) w.spb(rawFrame(p));
    else if (i === 3) w.pb(1, rawFrame(p, 'raw'), 1);
    else w.epb(i % 2, rawFrame(p, i % 2 ? 'raw' : 'ether'), i === 4 ? { dropCount: 2n } : {});
    isPacket.push(true);
    if (i === 1) {
      w.isb(0, p.tsNs, { ifdrop: 1n, osdrop: 1n });
      w.block(4, Buffer.alloc(8));
      isPacket.push(false, false);
    }
  });
  w.shb({ bigEndian: true }).idb({ linkType: 1, tsresol: 9 });
  w.epb(0, rawFrame(itemAt(conv, 0, 'packet')));
  isPacket.push(false, false, true);
  const data = w.toBuffer();
  return { name: 'pcapng', data, bounds: [...w.offsets(), data.length], isPacket, headerLen: 0 };
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

for (const layout of [pcapLayout(), pcapngLayout()]) {
  test(`${layout.name}: cut short at every byte, the good records come first, then a CaptureError at the cut record`, async () => {
    const { data, bounds, isPacket } = layout;
    for (let k = 0; k <= data.length; k++) {
      const frames: number[] = [];
      const err = errorOf(() => readCaptureBuffer(data.subarray(0, k), (r) => frames.push(r.fileOffset), { displayName: 't' }));
      // Which records lie wholly before the cut, by the writer's own bookkeeping.
      let whole = 0;
      while (whole + 1 < bounds.length && itemAt(bounds, whole + 1, 'bound') <= k) whole++;
      const wantOffsets = bounds.slice(0, whole).filter((_, i) => isPacket[i]);
      const label = `cut at ${k}`;
      if (k === 0) {
        assert.ok(err instanceof CaptureError, label);
        assert.equal(err.offset, null);
        assert.equal(err.message, 't: empty file');
      } else if (k < itemAt(bounds, 0, 'bound')) {
        assert.ok(err instanceof CaptureError, label);
        assert.equal(err.offset, 0, label);
        assert.match(err.message, /cut short in the (pcap )?file header/, label);
      } else if (bounds.includes(k)) {
        assert.equal(err, null, label);
        assert.deepEqual(frames, wantOffsets, label);
      } else {
        assert.ok(err instanceof CaptureError, `${label}: ${String(err)}`);
        assert.equal(err.offset, itemAt(bounds, whole, 'bound'), label);
        assert.match(err.message, /^t: at byte offset \d+: capture cut short in .*\(needs \d+ bytes, \d+ left\)$/, label);
        assert.deepEqual(frames, wantOffsets, label);
      }
    }
  });

  test(`${layout.name}: cut short, read from a file in tiny chunks and from a stream`, async () => {
    const { data, bounds } = layout;
    for (let k = 1; k < data.length; k += 13) {
      if (bounds.includes(k)) continue;
      let whole = 0;
      while (whole + 1 < bounds.length && itemAt(bounds, whole + 1, 'bound') <= k) whole++;
      const want = k < itemAt(bounds, 0, 'bound') ? 0 : itemAt(bounds, whole, 'bound');
      const file = writeTmp(data.subarray(0, k));
      for (const chunkSize of [undefined, 5]) {
        const err = await readCapture(file, () => undefined, { chunkSize }).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(err instanceof CaptureError, `cut ${k}`);
        assert.equal(err.offset, want, `cut ${k} chunk ${chunkSize}`);
      }
      const err = await readCaptureStream(Readable.from([data.subarray(0, k)]), () => undefined).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof CaptureError);
      assert.equal(err.offset, want);
    }
  });
}

test('pcap: a wire-format truncation message gives the record size and what is left', () => {
  const frames = specs().map((p) => rawFrame(p));
  const data = buildPcapRaw(frames, { linkType: 1 });
  const last = itemAt(frames, frames.length - 1, 'frame').data.length;
  const start = data.length - 16 - last;
  const err = errorOf(() => readCaptureBuffer(data.subarray(0, start + 16 + 100), () => undefined, { displayName: 'x.pcap' }));
  assert.ok(err instanceof CaptureError);
  assert.equal(
    err.message,
    `x.pcap: at byte offset ${start}: capture cut short in the middle of a packet record (needs ${16 + last} bytes, ${16 + 100} left)`,
  );
});

test('unreadable and non-capture files', async () => {
  const reject = async (file: string, re: RegExp, offset: number | null): Promise<void> => {
    await assert.rejects(
      readCapture(file, () => undefined),
      (err: unknown) => {
        assert.ok(err instanceof CaptureError, String(err));
        assert.match(err.message, re);
        assert.equal(err.offset, offset);
        return true;
      },
    );
  };
  await reject(path.join(dir, 'does-not-exist.pcap'), /: no such file$/, null);
  await reject(dir, /: is a directory$/, null);
  await reject(writeTmp(Buffer.alloc(0)), /: empty file$/, null);
  await reject(writeTmp(Buffer.from('hello world\n')), /not a pcap or pcapng file \(magic 0x68656c6c\)$/, 0);
  await reject(writeTmp(Buffer.from([0xd4, 0xc3])), /cut short in the file header/, 0);
  await reject(writeTmp(pcapHeader({ linkType: 1 }).subarray(0, 20)), /cut short in the pcap file header \(needs 24 bytes, 20 left\)/, 0);
  if (process.getuid?.() !== 0) {
    const locked = writeTmp(buildPcap(specs()));
    fs.chmodSync(locked, 0o000);
    await reject(locked, /: permission denied$/, null);
  }
  const named = await readCapture(path.join(dir, 'nope'), () => undefined, { displayName: 'capture.pcap' }).catch((e: Error) => e.message);
  assert.equal(named, 'capture.pcap: no such file');
});

test('pcap: absurd captured length is refused before reading it', async () => {
  const frames = specs().map((p) => rawFrame(p));
  const data = buildPcapRaw(frames, { linkType: 1 });
  const third = 24 + 16 + itemAt(frames, 0, 'frame').data.length + 16 + itemAt(frames, 1, 'frame').data.length;
  data.writeUInt32LE(3_000_000_000, third + 8);
  const seen: number[] = [];
  await assert.rejects(
    readCapture(writeTmp(data), (r) => seen.push(r.frame), { displayName: 'x' }),
    (err: unknown) => {
      assert.ok(err instanceof CaptureError);
      assert.equal(err.message, `x: at byte offset ${third}: packet record claims 3000000000 captured bytes (limit 262144)`);
      return true;
    },
  );
  assert.deepEqual(seen, [1, 2]);
  // 262144 itself is allowed (a full-snaplen frame); one more is not.
  const big = buildPcapRaw([{ tsNs: 1n, data: Buffer.alloc(262144) }], { linkType: 1 });
  assert.equal(readCaptureBuffer(big, () => undefined).frames, 1);
  big.writeUInt32LE(262145, 24 + 8);
  assert.ok(errorOf(() => readCaptureBuffer(big, () => undefined)) instanceof CaptureError);
});

test('pcapng: bad block lengths, trailers, byte-order magic, options and interfaces', () => {
  const conv = specs();
  const base = (): PcapngWriter => new PcapngWriter().shb().idb({ linkType: 1 });
  const check = (w: PcapngWriter, frames: number, offset: number, re: RegExp): void => {
    const seen: number[] = [];
    const err = errorOf(() => readCaptureBuffer(w.toBuffer(), (r) => seen.push(r.frame), { displayName: 'n' }));
    assert.ok(err instanceof CaptureError, `${re}: ${String(err)}`);
    assert.equal(err.offset, offset, String(re));
    assert.match(err.message, re);
    assert.equal(seen.length, frames, String(re));
  };
  const lengthBlock = (len: number): Buffer => {
    const b = Buffer.alloc(Math.max(len, 12) + 16);
    b.writeUInt32LE(6, 0);
    b.writeUInt32LE(len, 4);
    return b;
  };
  for (const len of [0, 4, 7, 11, 14, 16 * 1024 * 1024 + 4]) {
    const w = base().epb(0, rawFrame(itemAt(conv, 0, 'packet')));
    const at = w.toBuffer().length;
    check(w.raw(lengthBlock(len)), 1, at, new RegExp(`pcapng block length ${len} is invalid`));
  }
  {
    const w = base().epb(0, rawFrame(itemAt(conv, 0, 'packet')));
    const at = w.toBuffer().length;
    const epb = new PcapngWriter().epb(0, rawFrame(itemAt(conv, 1, 'packet'))).toBuffer();
    epb.writeUInt32LE(epb.readUInt32LE(4) + 4, epb.length - 4);
    check(w.raw(epb), 1, at, /block length at its end \(\d+\) does not match its start \(\d+\)/);
  }
  {
    const bad = base().epb(0, rawFrame(itemAt(conv, 0, 'packet')));
    const at = bad.toBuffer().length;
    const shb = new PcapngWriter().shb().toBuffer();
    shb.writeUInt32LE(0x11223344, 8);
    check(bad.raw(shb), 1, at, /bad byte-order magic \(0x44332211\)/);
  }
  {
    const w = base().epb(0, rawFrame(itemAt(conv, 0, 'packet')));
    const at = w.toBuffer().length;
    check(w.epb(3, rawFrame(itemAt(conv, 1, 'packet'))), 1, at, /interface 3, which was never defined \(1 in this section\)/);
    const spbFirst = new PcapngWriter().shb();
    const at2 = spbFirst.toBuffer().length;
    check(spbFirst.spb(rawFrame(itemAt(conv, 0, 'packet'))), 0, at2, /interface 0, which was never defined \(0 in this section\)/);
  }
  {
    // An EPB whose captured length runs past its own block.
    const w = base().epb(0, rawFrame(itemAt(conv, 0, 'packet')));
    const at = w.toBuffer().length;
    const one = new PcapngWriter().epb(0, rawFrame(itemAt(conv, 1, 'packet'))).toBuffer();
    one.writeUInt32LE(one.length, 20);
    check(w.raw(one), 1, at, /claims \d+ captured bytes but holds only \d+/);
  }
  {
    // An IDB option whose length runs past the block.
    const w = new PcapngWriter().shb();
    const at = w.toBuffer().length;
    const idb = new PcapngWriter().idb({ linkType: 1, tsresol: 9 }).toBuffer();
    idb.writeUInt16LE(200, 16 + 2);
    check(w.raw(idb), 0, at, /option runs past the end/);
  }
  {
    const w = new PcapngWriter().shb();
    const shb = w.toBuffer();
    shb.writeUInt16LE(2, 12);
    check(new PcapngWriter().raw(shb), 0, 0, /pcapng version 2\.0 is not supported/);
  }
});

test('garbage after a valid header never hangs and fails fast', async () => {
  let s = 12345;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 16;
  };
  const junk = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < junk.length; i++) junk[i] = rnd() & 0xff;
  for (const head of [pcapHeader({ linkType: 1 }), new PcapngWriter().shb().idb({ linkType: 1 }).toBuffer()]) {
    const file = writeTmp(Buffer.concat([head, junk]));
    const started = Date.now();
    await assert.rejects(
      readCapture(file, () => undefined),
      CaptureError,
    );
    assert.ok(Date.now() - started < 5000);
  }
  // A pcapng made of nothing but minimal 12-byte blocks must still make progress.
  const tiny = Buffer.alloc(12 * 100_000);
  for (let o = 0; o < tiny.length; o += 12) {
    tiny.writeUInt32LE(0x77, o);
    tiny.writeUInt32LE(12, o + 4);
    tiny.writeUInt32LE(12, o + 8);
  }
  const sum = await readCapture(writeTmp(Buffer.concat([new PcapngWriter().shb().toBuffer(), tiny])), () => undefined, { chunkSize: 100 });
  assert.equal(sum.frames, 0);
});

/**
 * Flips every bit of a small capture (and overwrites words with hostile
 * values), in a worker so that a hang shows up as a timeout instead of
 * freezing the test run.
 */
function fuzzInWorker(samples: Buffer[], timeoutMs: number): Promise<string[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { readCaptureBuffer, readCaptureStream, CaptureError } = await import(workerData.url);
      const { Readable } = require('node:stream');
      const problems = [];
      const check = (label, buf, r, state) => {
        // Strictly increasing, not consecutive: blocks Wireshark shows as frames take numbers too.
        if (!(r.frame > state.frame)) problems.push(label + ': frame ' + r.frame + ' after ' + state.frame);
        state.frame = r.frame;
        if (!(r.offset >= 0 && r.capLen >= 0 && r.offset + r.capLen <= r.buf.length)) problems.push(label + ': record outside its buffer');
        if (!Number.isInteger(r.tsSec) || !(r.tsNsec >= 0 && r.tsNsec < 1e9 && Number.isInteger(r.tsNsec))) problems.push(label + ': bad time ' + r.tsSec + '.' + r.tsNsec);
        if (!(r.fileOffset >= 0 && r.fileOffset < buf.length)) problems.push(label + ': fileOffset ' + r.fileOffset);
      };
      const verdict = (label, buf, err) => {
        if (err === null) return;
        if (!(err instanceof CaptureError)) { problems.push(label + ': threw ' + (err && err.stack || err)); return; }
        if (err.message.includes('\\n')) problems.push(label + ': multi-line message');
        if (err.offset !== null && !(err.offset >= 0 && err.offset <= buf.length)) problems.push(label + ': offset ' + err.offset);
      };
      const runSync = (label, buf) => {
        const state = { frame: 0 };
        let err = null;
        try { readCaptureBuffer(buf, (r) => check(label, buf, r, state)); } catch (e) { err = e; }
        verdict(label, buf, err);
      };
      const runAsync = async (label, buf, size) => {
        const parts = [];
        for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
        const state = { frame: 0 };
        let err = null;
        try { await readCaptureStream(Readable.from(parts), (r) => check(label, buf, r, state)); } catch (e) { err = e; }
        verdict(label, buf, err);
      };
      const hostile = [0, 1, 3, 11, 12, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 262145, 16777220];
      let n = 0;
      for (const [si, raw] of workerData.samples.entries()) {
        const sample = Buffer.from(raw);
        for (let i = 0; i < sample.length; i++) {
          for (let bit = 0; bit < 8; bit++) {
            const buf = Buffer.from(sample);
            buf[i] ^= 1 << bit;
            runSync('sample ' + si + ' flip ' + i + ':' + bit, buf);
            if ((n++ & 63) === 0) await runAsync('sample ' + si + ' async flip ' + i + ':' + bit, buf, 1 + (n % 29));
          }
          if (i % 4 === 0 && i + 4 <= sample.length) {
            for (const v of hostile) {
              for (const le of [true, false]) {
                const buf = Buffer.from(sample);
                if (le) buf.writeUInt32LE(v >>> 0, i); else buf.writeUInt32BE(v >>> 0, i);
                runSync('sample ' + si + ' word ' + i + '=' + v + (le ? 'le' : 'be'), buf);
              }
            }
          }
        }
      }
      parentPort.postMessage(problems.slice(0, 20));
    })().catch((e) => parentPort.postMessage(['worker crashed: ' + (e && e.stack || e)]));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url: READER_URL, samples } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`fuzzing did not finish within ${timeoutMs} ms: the reader hangs on some input`));
    }, timeoutMs);
    worker.once('message', (m: string[]) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

test('bit flips and hostile values anywhere: only CaptureError, sane records, no hang', { timeout: 120_000 }, async () => {
  const conv = sampleConversation(3);
  const pcapSample = buildPcap(conv, { nano: true });
  const pcapBe = buildPcap(conv.slice(0, 2), { bigEndian: true });
  const ng = new PcapngWriter().shb().idb({ linkType: 1, tsresol: 9, tsoffset: 7 }).idb({ linkType: 101, tsresol: 0x94 });
  ng.epb(0, rawFrame(itemAt(conv, 0, 'packet')), { dropCount: 1n });
  ng.spb(rawFrame(itemAt(conv, 1, 'packet')));
  ng.pb(1, rawFrame(itemAt(conv, 2, 'packet'), 'raw'), 1);
  ng.isb(1, itemAt(conv, 2, 'packet').tsNs, { ifdrop: 3n });
  ng.shb({ bigEndian: true })
    .idb({ linkType: 1, tsresol: 0x83 })
    .epb(0, { tsNs: itemAt(conv, 0, 'packet').tsNs, data: buildFrame(itemAt(conv, 0, 'packet')).subarray(0, 40) });
  const problems = await fuzzInWorker([pcapSample, pcapBe, ng.toBuffer()], 100_000);
  assert.deepEqual(problems, []);
});

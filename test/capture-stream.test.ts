import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { spawn, execFileSync } from 'node:child_process';
import { readCapture, readCaptureBuffer, readCaptureStream } from '../src/capture/read-capture.js';
import { CaptureError } from '../src/capture/capture-error.js';
import type { CaptureSummary, PacketRecord } from '../src/capture/packet-record.js';
import { buildPcap, rawFrame, sampleConversation, type TcpSpec } from './helpers/capture-builder.js';
import { PcapngWriter } from './helpers/capture-writer.js';
import { itemAt, xorByte } from './helpers/checked.js';
import { tempCaptures } from './helpers/temp-captures.js';

const { dir, write: writeTmp } = tempCaptures('kad-stream-', 'cap');

const READER_URL = new URL('../src/capture/read-capture.js', import.meta.url).href;

/** One line per record: everything a consumer can see, bytes included. */
function line(r: PacketRecord): string {
  return [
    r.frame,
    r.tsSec,
    r.tsNsec,
    r.capLen,
    r.origLen,
    r.linkType,
    r.interfaceId,
    r.fileOffset,
    r.buf.toString('hex', r.offset, r.offset + r.capLen),
  ].join(' ');
}

async function lines(file: string, chunkSize?: number): Promise<{ recs: string[]; summary: CaptureSummary }> {
  const recs: string[] = [];
  const summary = await readCapture(file, (r) => recs.push(line(r)), { chunkSize });
  return { recs, summary };
}

function specs(): TcpSpec[] {
  const s = sampleConversation(9);
  s.push({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    sport: 5000,
    dport: 80,
    seq: 7,
    ack: 1,
    flags: 'PA',
    payload: 3000,
    tsNs: 1_700_000_002_000_000_001n,
  });
  s.push({ src: '203.0.113.7', dst: '192.0.2.1', sport: 443, dport: 40000, seq: 1, ack: 2, flags: 'A', tsNs: 1_700_000_002_999_999_999n });
  return s;
}

function samplePcapng(): Buffer {
  const conv = specs();
  const w = new PcapngWriter().shb().idb({ linkType: 1 }).idb({ linkType: 101, tsresol: 9 });
  conv.forEach((p, i) => (i % 3 === 2 ? w.epb(1, rawFrame(p, 'raw')) : w.epb(0, rawFrame(p))));
  w.isb(0, itemAt(conv, 0, 'packet').tsNs, { ifdrop: 2n });
  w.shb({ bigEndian: true }).idb({ linkType: 113, tsresol: 0x94 });
  conv.slice(0, 4).forEach((p) => w.epb(0, rawFrame(p, 'sll')));
  return w.toBuffer();
}

const samples: Record<string, () => Buffer> = {
  pcap: () => buildPcap(specs()),
  'pcap-ns-be': () => buildPcap(specs(), { nano: true, bigEndian: true }),
  pcapng: samplePcapng,
};

for (const [name, make] of Object.entries(samples)) {
  test(`${name}: records straddling every kind of chunk boundary come out identical`, async () => {
    const data = make();
    const file = writeTmp(data);
    const ref = await lines(file);
    assert.ok(ref.recs.length > 10);
    for (const chunkSize of [1, 2, 3, 4, 5, 7, 11, 16, 17, 31, 64, 100, 1000, 4096]) {
      const got = await lines(file, chunkSize);
      assert.deepEqual(got.recs, ref.recs, `file chunk ${chunkSize}`);
      assert.deepEqual(got.summary, ref.summary, `file chunk ${chunkSize}`);
    }
    // Streams: arbitrary chunk sizes as a pipe would deliver them.
    for (const sizes of [[1], [3, 1, 7], [24, 16], [1500, 1], [65536]]) {
      const parts: Buffer[] = [];
      for (let at = 0, k = 0; at < data.length; k++) {
        const n = itemAt(sizes, k % sizes.length, 'chunk size');
        parts.push(data.subarray(at, at + n));
        at += n;
      }
      const recs: string[] = [];
      const summary = await readCaptureStream(Readable.from(parts), (r) => recs.push(line(r)), { displayName: 'x' });
      assert.deepEqual(recs, ref.recs, `stream chunks ${sizes}`);
      assert.deepEqual(summary, ref.summary);
    }
    const recs: string[] = [];
    assert.deepEqual(
      readCaptureBuffer(data, (r) => recs.push(line(r))),
      ref.summary,
    );
    assert.deepEqual(recs, ref.recs);
  });

  test(`${name}: gzip is detected by magic bytes, not by name`, async () => {
    const data = make();
    const ref = await lines(writeTmp(data));
    const gzFile = writeTmp(zlib.gzipSync(data), 'pcap');
    for (const chunkSize of [undefined, 1, 13]) {
      const got = await lines(gzFile, chunkSize);
      assert.deepEqual(got.recs, ref.recs);
      assert.deepEqual(got.summary, { ...ref.summary, gzip: true });
      assert.equal(got.summary.bytes, data.length);
    }
    const inMemory: string[] = [];
    assert.deepEqual(
      readCaptureBuffer(zlib.gzipSync(data), (r) => inMemory.push(line(r))),
      { ...ref.summary, gzip: true },
    );
    assert.deepEqual(inMemory, ref.recs);
    // Two gzip members back to back (e.g. `cat a.gz b.gz`) are one stream.
    const cut = Math.floor(data.length / 3);
    const multi = writeTmp(Buffer.concat([zlib.gzipSync(data.subarray(0, cut)), zlib.gzipSync(data.subarray(cut))]));
    assert.deepEqual((await lines(multi)).recs, ref.recs);
  });
}

test('gzip: truncated or corrupt compressed data is a CaptureError after the good records', async () => {
  const data = buildPcap(sampleConversation(400));
  const ref = await lines(writeTmp(data));
  const gz = zlib.gzipSync(data);
  for (const cut of [gz.length - 4, Math.floor(gz.length / 2), 30]) {
    const got: string[] = [];
    await assert.rejects(
      readCapture(writeTmp(gz.subarray(0, cut)), (r) => got.push(line(r))),
      (err: unknown) => {
        assert.ok(err instanceof CaptureError, String(err));
        assert.match(err.message, /gzip stream cut short/);
        assert.equal(typeof err.offset, 'number');
        return true;
      },
    );
    assert.deepEqual(got, ref.recs.slice(0, got.length));
    if (cut === gz.length - 4) assert.equal(got.length, ref.recs.length);
  }
  const bad = Buffer.from(gz);
  xorByte(bad, Math.floor(bad.length / 2), 0xff);
  xorByte(bad, Math.floor(bad.length / 2) + 1, 0xff);
  await assert.rejects(
    readCapture(writeTmp(bad), () => undefined),
    CaptureError,
  );
  await assert.rejects(
    readCapture(writeTmp(zlib.gzipSync(Buffer.alloc(0))), () => undefined),
    /empty file/,
  );
  await assert.rejects(
    readCapture(writeTmp(zlib.gzipSync(Buffer.from('hello world'))), () => undefined),
    /not a pcap or pcapng file \(magic 0x68656c6c\)/,
  );
});

/** Runs a separate node process that reads '-' and prints one line per record. */
function spawnReader(stdin: 'pipe' | number = 'pipe'): ReturnType<typeof spawn> {
  const code = `
    const { readCapture } = await import(process.env.KAD_READER);
    const line = (r) => [r.frame, r.tsSec, r.tsNsec, r.capLen, r.origLen, r.linkType, r.interfaceId, r.fileOffset,
      r.buf.toString('hex', r.offset, r.offset + r.capLen)].join(' ');
    try {
      const s = await readCapture('-', (r) => process.stdout.write(line(r) + '\\n'));
      process.stdout.write('SUMMARY ' + JSON.stringify(s) + '\\n');
    } catch (e) {
      process.stdout.write('ERROR ' + e.name + ' ' + e.message + '\\n');
    }`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, KAD_READER: READER_URL },
    stdio: [stdin, 'pipe', 'inherit'],
  });
}

function outputOf(child: ReturnType<typeof spawn>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter((l) => l.length > 0)));
  });
}

for (const [name, make] of Object.entries(samples)) {
  for (const gzip of [false, true]) {
    test(`stdin '-' in a child process: ${name}${gzip ? ' gzipped' : ''}`, { timeout: 20_000 }, async () => {
      const data = make();
      const ref = await lines(writeTmp(data));
      const child = spawnReader();
      const out = outputOf(child);
      child.stdin?.end(gzip ? zlib.gzipSync(data) : data);
      const got = await out;
      assert.deepEqual(got.slice(0, -1), ref.recs);
      assert.deepEqual(JSON.parse(itemAt(got, got.length - 1, 'line').replace(/^SUMMARY /, '')), { ...ref.summary, gzip });
    });
  }
}

for (const gzip of [false, true]) {
  test(`stdin '-' redirected from a file (< file)${gzip ? ', gzipped' : ''}`, { timeout: 20_000 }, async () => {
    const data = samplePcapng();
    const ref = await lines(writeTmp(data));
    const fd = fs.openSync(writeTmp(gzip ? zlib.gzipSync(data) : data), 'r');
    try {
      const got = await outputOf(spawnReader(fd));
      assert.deepEqual(got.slice(0, -1), ref.recs);
      assert.deepEqual(JSON.parse(itemAt(got, got.length - 1, 'line').replace(/^SUMMARY /, '')), { ...ref.summary, gzip });
    } finally {
      fs.closeSync(fd);
    }
  });
}

test("stdin '-': empty input and a cut-short capture are reported", { timeout: 20_000 }, async () => {
  let child = spawnReader();
  let out = outputOf(child);
  child.stdin?.end();
  assert.deepEqual(await out, ['ERROR CaptureError stdin: empty input']);

  const data = buildPcap(sampleConversation(5));
  child = spawnReader();
  out = outputOf(child);
  child.stdin?.end(data.subarray(0, data.length - 10));
  const got = await out;
  assert.equal(got.length, 5);
  assert.match(
    itemAt(got, 4, 'line'),
    /^ERROR CaptureError stdin: at byte offset \d+: capture cut short in the middle of a packet record \(needs \d+ bytes, \d+ left\)$/,
  );
});

for (const gzip of [false, true]) {
  test(
    `stdin '-': records are delivered while the writer is still running${gzip ? ' (gzip, flushed)' : ''}`,
    { timeout: 20_000 },
    async () => {
      const data = buildPcap(sampleConversation(10));
      const firstPart = 24 + 3 * 16 + 74 + 74 + 154; // header + SYN + SYN/ACK + first data segment
      const child = spawnReader();
      let out = '';
      const seen = new Promise<void>((resolve) => {
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.split('\n').length > 3) resolve();
        });
      });
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      const sink = child.stdin;
      assert.ok(sink);
      let gz: zlib.Gzip | null = null;
      if (gzip) {
        gz = zlib.createGzip();
        gz.pipe(sink);
        gz.write(data.subarray(0, firstPart));
        gz.flush(zlib.constants.Z_SYNC_FLUSH);
      } else {
        sink.write(data.subarray(0, firstPart));
      }
      // The rest is written only once the reader has reported the first three.
      await seen;
      assert.equal(out.split('\n').filter((l) => l.length > 0).length, 3);
      if (gz) gz.end(data.subarray(firstPart));
      else sink.end(data.subarray(firstPart));
      await closed;
      const all = out.split('\n').filter((l) => l.length > 0);
      assert.equal(all.length, 11);
      assert.match(itemAt(all, 10, 'line'), /^SUMMARY /);
    },
  );
}

test('a FIFO given by path is read as a stream', { timeout: 20_000, skip: process.platform === 'win32' }, async () => {
  const data = buildPcap(sampleConversation(20));
  const ref = await lines(writeTmp(data));
  const src = writeTmp(zlib.gzipSync(data));
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', src, fifo], { stdio: 'ignore' });
  const writerDone = new Promise((resolve) => writer.on('close', resolve));
  const got = await lines(fifo);
  await writerDone;
  assert.deepEqual(got.recs, ref.recs);
  assert.equal(got.summary.gzip, true);
});

test('errors thrown by the packet handler come through unchanged', async () => {
  const file = writeTmp(buildPcap(sampleConversation(5)));
  const boom = new TypeError('consumer bug');
  let calls = 0;
  const handler = (): void => {
    if (++calls === 3) throw boom;
  };
  await assert.rejects(readCapture(file, handler), (err) => err === boom);
  const gz = writeTmp(zlib.gzipSync(fs.readFileSync(file)));
  calls = 0;
  await assert.rejects(readCapture(gz, handler), (err) => err === boom);
  calls = 0;
  await assert.rejects(readCaptureStream(Readable.from([fs.readFileSync(file)]), handler), (err) => err === boom);
});

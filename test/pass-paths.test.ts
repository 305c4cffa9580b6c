import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { analyzeCapture, CapturePipeline } from '../src/analyze/analyze-capture.js';
import { readCapture } from '../src/capture/read-capture.js';
import { fingerprint, viaCopies, viaPerPacket, viaRuns } from './helpers/pass-fingerprint.js';

// Frames reach the WebAssembly tracker three ways: whole runs of pcap records
// walked inside it (plain `kad analyze`), one call per frame from a chunk that
// lives in its memory (a filtered --events), and one call per frame copied in
// (live capture, buffers). Every way must give the same analysis, also when
// records straddle the reader's chunks.

const dir = mkdtempSync(join(tmpdir(), 'kad-pass-paths-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('pcap record runs, per-frame calls and copied frames give the same analysis', async () => {
  const busy = join(dir, 'busy.pcap');
  generateBusyCapture(busy, { connections: 2500, seed: 11, snaplen: 128, prefixFrames: 0 });
  const gz = join(dir, 'busy.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(busy)));
  const bundled = readdirSync('captures')
    .filter((f) => f.endsWith('.pcap'))
    .map((f) => join('captures', f));
  const fixtures = readdirSync('test/fixtures')
    .filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f))
    .map((f) => join('test/fixtures', f));
  let runsTaken = 0;
  for (const file of [busy, gz, ...bundled, ...fixtures]) {
    const whole = await analyzeCapture(file);
    if (whole.error) continue; // corrupt fixtures have their own tests
    const want = fingerprint(whole);
    assert.deepEqual(fingerprint(await viaPerPacket(file)), want, `${file}: per-frame calls`);
    if (!file.endsWith('.gz')) assert.deepEqual(fingerprint(viaCopies(file)), want, `${file}: copied frames`);
    // 4 KiB chunks: most runs stop at a record cut by the chunk's end and resume in the next.
    assert.deepEqual(fingerprint(await viaRuns(file, 4096)), want, `${file}: record runs in small chunks`);
    assert.deepEqual(fingerprint(await viaPerPacket(file, 4096)), want, `${file}: per-frame calls in small chunks`);
    if (whole.summary?.format === 'pcap') runsTaken++;
  }
  assert.ok(runsTaken >= 10, `only ${runsTaken} classic pcap captures compared`);
});

test('record runs ask the evictor at the same frames as one call per frame does', async () => {
  const busy = join(dir, 'evict.pcap');
  generateBusyCapture(busy, { connections: 1500, seed: 5, snaplen: 128, prefixFrames: 0 });
  async function askedAt(perFrame: boolean, chunkSize?: number): Promise<number[]> {
    const at: number[] = [];
    const p: CapturePipeline = new CapturePipeline(busy, {
      evictor: { afterRun: (pipeline) => at.push(pipeline.frameCounts.frames) },
      onTcpPacket: perFrame ? () => undefined : undefined,
    });
    const opts = p.readOptions();
    assert.equal(opts.pcapRecords === undefined, perFrame, 'records are walked unless every frame must come through onPacket');
    await readCapture(busy, p.onPacket, { ...opts, chunkSize });
    return at;
  }
  const want = await askedAt(true);
  assert.ok(want.length >= 3, `the evictor was asked ${want.length} times`);
  // So --max-memory forgets the same connections at the same frames, for a pcap as for its pcapng copy.
  assert.deepEqual(await askedAt(false), want);
  assert.deepEqual(await askedAt(false, 4096), want);
});

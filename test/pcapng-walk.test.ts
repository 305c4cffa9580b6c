import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { CapturePipeline, type CaptureAnalysis } from '../src/analyze/analyze-capture.js';
import type { PcapngBlockRun } from '../src/capture/pcapng-run.js';
import { readCapture } from '../src/capture/read-capture.js';
import { buildFrame, LINKTYPE, type TcpSpec } from './helpers/capture-builder.js';
import { PcapngWriter } from './helpers/capture-writer.js';
import { fingerprint, viaCopies, viaPerPacket } from './helpers/pass-fingerprint.js';
import { framesOf, mixed, pcapngVariants, plain, simple } from './helpers/pcapng-variants.js';
import { Rng, seedFrom } from './helpers/rng.js';
import { tempCaptures } from './helpers/temp-captures.js';

// pcapng packet blocks are walked in WebAssembly (src/wasm/pcapng-walk.ts),
// every other block and anything odd by the JavaScript parser. Both must give
// the analysis the parser alone gives, frame numbers, timestamps, drops and
// decode counters included, also when blocks straddle the reader's chunks.

const { dir, write } = tempCaptures('kad-pcapng-walk-', 'pcapng');

/** Runs of packet blocks as `kad analyze` takes them, counting the frames the walk took. */
async function viaWalk(file: string, chunkSize?: number): Promise<{ analysis: CaptureAnalysis; walked: number }> {
  const p = new CapturePipeline(file);
  const opts = p.readOptions();
  const run = opts.pcapngBlocks;
  assert.ok(run, 'analyze walks pcapng packet blocks');
  let walked = 0;
  const counting: PcapngBlockRun = {
    get frame() {
      return run.frame;
    },
    get drops() {
      return run.drops;
    },
    get dropsSeen() {
      return run.dropsSeen;
    },
    interfaces: (list) => run.interfaces(list),
    take: (buf, start, end, le, frame, drops) => {
      const pos = run.take(buf, start, end, le, frame, drops);
      walked += run.frame - frame;
      return pos;
    },
  };
  const summary = await readCapture(file, p.onPacket, { ...opts, pcapngBlocks: counting, chunkSize });
  return { analysis: p.analysis(summary), walked };
}

/** Every path agrees with the parser alone; returns the frames the walk took at full chunk size. */
async function samePaths(file: string): Promise<number> {
  const want = fingerprint(await viaPerPacket(file));
  const whole = await viaWalk(file);
  assert.deepEqual(fingerprint(whole.analysis), want, `${file}: walked`);
  assert.deepEqual(fingerprint(viaCopies(file)), want, `${file}: copied frames`);
  // 4 KiB chunks: most walks stop at a block cut by the chunk's end and resume in the next.
  assert.deepEqual(fingerprint((await viaWalk(file, 4096)).analysis), want, `${file}: walked in small chunks`);
  assert.deepEqual(fingerprint(await viaPerPacket(file, 4096)), want, `${file}: per-frame calls in small chunks`);
  return whole.walked;
}

test('pcapng packet blocks walked in WebAssembly give the parser’s analysis', async () => {
  const busy = join(dir, 'busy.pcap');
  generateBusyCapture(busy, { connections: 400, seed: 23, snaplen: 128, prefixFrames: 0 });
  const sources = [
    busy,
    ...readdirSync('captures')
      .filter((f) => f.endsWith('.pcap'))
      .map((f) => join('captures', f)),
  ];
  let walkedPlain = 0;
  let framesPlain = 0;
  let walkedMixed = 0;
  let walkedSimple = 0;
  for (const src of sources) {
    const { frames, linkType } = framesOf(src);
    const name = src.replace(/\W+/g, '-');
    walkedPlain += await samePaths(write(plain(frames, linkType), `${name}.plain.pcapng`));
    framesPlain += frames.length;
    walkedMixed += await samePaths(write(mixed(frames, linkType), `${name}.mixed.pcapng`));
    walkedSimple += await samePaths(write(simple(frames, linkType), `${name}.simple.pcapng`));
  }
  // Each interface's first packet, and whatever follows a block the walk leaves, go through the parser.
  assert.ok(walkedPlain >= framesPlain - sources.length, `the walk took ${walkedPlain} of ${framesPlain} plain frames`);
  assert.ok(walkedSimple >= framesPlain - sources.length, `the walk took ${walkedSimple} of ${framesPlain} simple packet blocks`);
  assert.ok(walkedMixed > framesPlain / 2, `the walk took ${walkedMixed} of ${framesPlain} frames interleaved with other blocks`);
});

test('pcapng timestamps of every resolution convert in the walk as in the parser', async () => {
  const rng = new Rng(seedFrom('KAD_PCAPNG_WALK_SEED', 23));
  let walked = 0;
  for (const tsresol of [6, 9, 3, 0, 1, 0x80, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32, 12]) {
    const w = new PcapngWriter().shb().idb({ linkType: LINKTYPE.ether, tsresol, tsoffset: rng.between(-1e9, 1e9) });
    // Ticks near a random 64-bit base: seconds past 2^53 included, and close enough to each other that relative times stay exact.
    const base = (BigInt(rng.int(2 ** 32)) << 32n) | BigInt(rng.int(2 ** 32));
    for (let i = 0; i < 64; i++) {
      const ticks = (base + BigInt(rng.int(2 ** 30))) & 0xffffffffffffffffn;
      const syn: TcpSpec = { src: '192.0.2.1', dst: '198.51.100.2', sport: 1024 + i, dport: 443, seq: i, ack: 0, flags: 'S', tsNs: 0n };
      w.epbTicks(0, ticks, { tsNs: 0n, data: buildFrame(syn) });
    }
    const file = write(w.toBuffer(), `ticks-${tsresol}.pcapng`);
    const want = await viaPerPacket(file);
    const got = await viaWalk(file);
    assert.deepEqual(fingerprint(got.analysis), fingerprint(want), `if_tsresol 0x${tsresol.toString(16)}`);
    walked += got.walked;
  }
  // Seconds past 2^53 and units finer than 1 ns are the parser's; most of the rest is the walk's.
  assert.ok(walked >= 64 * 5, `the walk took only ${walked} frames`);
});

test('the walk asks the evictor at the same frames as one call per frame does', async () => {
  const busy = join(dir, 'evict.pcap');
  generateBusyCapture(busy, { connections: 1500, seed: 5, snaplen: 128, prefixFrames: 0 });
  const file = write(pcapngVariants(busy).mixed);
  async function askedAt(perFrame: boolean, chunkSize?: number): Promise<number[]> {
    const at: number[] = [];
    const p: CapturePipeline = new CapturePipeline(file, {
      evictor: { afterRun: (pipeline) => at.push(pipeline.frameCounts.frames) },
      onTcpPacket: perFrame ? () => undefined : undefined,
    });
    await readCapture(file, p.onPacket, { ...p.readOptions(), chunkSize });
    return at;
  }
  const want = await askedAt(true);
  assert.ok(want.length >= 3, `the evictor was asked ${want.length} times`);
  assert.deepEqual(await askedAt(false), want);
  assert.deepEqual(await askedAt(false, 4096), want);
});

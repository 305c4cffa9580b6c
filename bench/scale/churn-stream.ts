/**
 * The churn stream as a classic pcap on stdout or in a file (see
 * churn-generator.ts for the traffic):
 *
 *   node dist/bench/scale/churn-stream.js [--packets N] [--out FILE|-] [--rate PPS]
 *        [--in-flight N] [--long-lived N] [--keepalive-s S] [--death-idle-s S]
 *        [--seed N] [--progress-ms MS] [--truth FILE]
 *
 * Written in large chunks with backpressure; when the reader goes away
 * (EPIPE) it stops quietly with status 0, as `yes | head` does. With
 * --progress-ms, stderr gets `{"type":"progress","packets":N,"ms":T}` lines,
 * and at the end one `{"type":"truth",…}` line (also in --truth FILE).
 */
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ChurnGenerator, DEFAULT_CHURN, type ChurnOptions, type ChurnTruth } from './churn-generator.js';
import { pcapFileHeader } from './frame-template.js';

/** 4 MiB per write: few syscalls per second even at millions of packets/s. */
const CHUNK_BYTES = 4 << 20;

export interface StreamOptions extends Partial<ChurnOptions> {
  /** Progress lines every this many ms of wall time on `progress` (0 = none). */
  progressMs?: number;
  progress?: (packets: number, ms: number) => void;
}

/** One chunk of the stream: a pcap header in front of the first. */
function nextChunk(gen: ChurnGenerator, first: boolean): Buffer {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  if (first) at = pcapFileHeader().copy(chunk, 0);
  const end = gen.fill(chunk, view, at);
  return chunk.subarray(0, end);
}

/** Resolves when `out` wants more, or will never take more. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * Writes the stream to `out` until done or the reader leaves; resolves with
 * what was generated (a chunk already handed to a reader that left counts too).
 */
export async function writeChurn(out: Writable, o: StreamOptions = {}): Promise<{ truth: ChurnTruth; readerLeft: boolean }> {
  const gen = new ChurnGenerator(o);
  const t0 = Date.now();
  let lastProgress = t0;
  let readerLeft = false;
  let failure: Error | null = null;
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') readerLeft = true;
    else failure = err;
  };
  out.on('error', onError);
  let first = true;
  while (!gen.done && !readerLeft && failure === null) {
    const chunk = nextChunk(gen, first);
    first = false;
    if (!out.write(chunk)) {
      await drained(out);
    } else {
      // Let an EPIPE from a synchronous pipe write arrive before the next chunk.
      await new Promise<void>((r) => setImmediate(r));
    }
    const now = Date.now();
    if (o.progress && o.progressMs && now - lastProgress >= o.progressMs) {
      lastProgress = now;
      o.progress(gen.truth.packets, now - t0);
    }
  }
  if (first) out.write(pcapFileHeader());
  if (failure !== null) throw failure;
  return { truth: gen.truth, readerLeft };
}

function parseArgs(argv: string[]): StreamOptions & { out: string; truthFile?: string } {
  const o: StreamOptions & { out: string; truthFile?: string } = { out: '-', progressMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--packets') o.packets = num();
    else if (a === '--out') o.out = argv[++i] ?? '-';
    else if (a === '--rate') o.ratePps = num();
    else if (a === '--in-flight') o.inFlight = num();
    else if (a === '--long-lived') o.longLived = num();
    else if (a === '--keepalive-s') o.keepaliveS = num();
    else if (a === '--death-idle-s') o.deathIdleS = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--progress-ms') o.progressMs = num();
    else if (a === '--truth') o.truthFile = argv[++i];
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: churn-stream [--packets N] [--out FILE|-] [--rate PPS] [--in-flight N] [--long-lived N]\n' +
          '                    [--keepalive-s S] [--death-idle-s S] [--seed N] [--progress-ms MS] [--truth FILE]\n' +
          `defaults: endless, ${DEFAULT_CHURN.ratePps} packets per capture second, ${DEFAULT_CHURN.inFlight} in flight, ` +
          `${DEFAULT_CHURN.longLived} long-lived (every ${DEFAULT_CHURN.dyingEvery}th dies), keepalive ${DEFAULT_CHURN.keepaliveS} s, ` +
          `death after ${DEFAULT_CHURN.deathIdleS} s idle\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  o.progress = (packets, ms) => process.stderr.write(`${JSON.stringify({ type: 'progress', packets, ms })}\n`);
  const out = o.out === '-' ? process.stdout : createWriteStream(o.out);
  const { truth } = await writeChurn(out, o);
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
  }
  const line = JSON.stringify({ type: 'truth', ...truth });
  if (o.truthFile) writeFileSync(o.truthFile, `${line}\n`);
  if (o.progressMs) process.stderr.write(`${line}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`churn-stream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

/**
 * Bench-only: how far two cores could take one analysis, measured rather
 * than argued. Prints one JSON line (SplitResult).
 *
 *   node dist/bench/split-probe.js one FILE [WALK.wasm]
 *   node dist/bench/split-probe.js two FILE WALK_A.wasm WALK_B.wasm
 *   node dist/bench/split-probe.js chase BYTES THREADS
 *
 * one: a worker thread runs the whole pass (track, diagnose, the listed
 * report and its text), as `kad analyze` does on its main thread.
 * two: two worker threads at once, each running the same pass with its own
 * build of the walk. With the two builds that each track only one half of the
 * flows by hash (KAD_SHARD in src/wasm/tracker.ts), nothing merges the
 * halves and both still read and decode every frame: the wall time is the
 * ceiling of splitting the flow table, before the cost of the merge a real
 * split would add. With the release build twice, it shows how much two
 * passes at once slow each other.
 * chase: THREADS threads at once, each following a random cycle of
 * dependent reads through its own table of BYTES (the flow lookup's pattern:
 * each packet's record is a cache miss); ns per read tells whether two cores
 * waiting on memory slow each other.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { usePassBuild } from '../src/track/wasm-pass.js';
import { wholePass } from './whole-pass.js';

/** What one thread did: its wall seconds, and connections tracked (pass) or ns per read (chase). */
export interface ThreadResult {
  wall: number;
  connections?: number;
  nsPerRead?: number;
}

export interface SplitResult {
  ok: boolean;
  error?: string;
  /** From the first thread's start to the last one's end, thread start-up included. */
  wall?: number;
  threads?: ThreadResult[];
}

type Task = { kind: 'pass'; file: string; wasm?: string } | { kind: 'chase'; bytes: number; reads: number };

const CHASE_READS = 20_000_000;

async function pass(file: string, wasm: string | undefined): Promise<ThreadResult> {
  const t0 = performance.now();
  if (wasm !== undefined) usePassBuild(readFileSync(wasm));
  const analysis = await wholePass(file);
  return { wall: (performance.now() - t0) / 1e3, connections: analysis.tracker.connectionCount };
}

/** A random cyclic permutation (Sattolo), so that every read waits for the one before. */
function chase(bytes: number, reads: number): ThreadResult {
  const n = Math.max(2, bytes >>> 2);
  const next = new Uint32Array(n);
  for (let i = 0; i < n; i++) next[i] = i;
  let seed = 0x2545f491;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const j = seed % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  let at = 0;
  const t0 = performance.now();
  for (let r = 0; r < reads; r++) at = next[at]!;
  const wall = (performance.now() - t0) / 1e3;
  // `at` is used, so the loop cannot be dropped.
  return { wall, nsPerRead: (wall * 1e9) / reads + (at < 0 ? 1 : 0) };
}

function inThread(task: Task): Promise<ThreadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: task });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`thread exited with ${code}`)));
  });
}

async function main(): Promise<SplitResult> {
  const [mode, a, b, c] = process.argv.slice(2);
  let tasks: Task[];
  if (mode === 'one' && a) tasks = [{ kind: 'pass', file: a, wasm: b }];
  else if (mode === 'two' && a && b && c)
    tasks = [
      { kind: 'pass', file: a, wasm: b },
      { kind: 'pass', file: a, wasm: c },
    ];
  else if (mode === 'chase' && a && b)
    tasks = Array.from({ length: Number(b) }, () => ({ kind: 'chase' as const, bytes: Number(a), reads: CHASE_READS }));
  else return { ok: false, error: 'usage: split-probe one FILE [WALK.wasm] | two FILE WALK_A.wasm WALK_B.wasm | chase BYTES THREADS' };
  const t0 = performance.now();
  const threads = await Promise.all(tasks.map(inThread));
  return { ok: true, wall: (performance.now() - t0) / 1e3, threads };
}

if (isMainThread) {
  main()
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
      process.exitCode = 1;
    });
} else {
  const task = workerData as Task;
  const run = task.kind === 'pass' ? pass(task.file, task.wasm) : Promise.resolve(chase(task.bytes, task.reads));
  // An error rejects here and reaches the main thread as the worker's 'error'.
  void run.then((r) => parentPort!.postMessage(r));
}

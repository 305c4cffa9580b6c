/**
 * The bench's answer to issue 23's two-core target, "say which and why by
 * measurement": the wall time of one analysis in one thread against two
 * threads that each track one half of the flows (bench/split-probe.ts), in
 * the same rounds, and whether two cores waiting on memory slow each other.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, kadNodeOptions, ROOT } from './bench-tools.js';
import type { Stage } from './ablation-stages.js';
import { medianRounds, type JobResult } from './cpu-timing.js';
import type { SplitResult } from './split-probe.js';
import { walkBuild } from './walk-builds.js';

const PROBE = fileURLToPath(new URL('./split-probe.js', import.meta.url));
const RELEASE = join(ROOT, 'dist', 'wasm', 'tracker.wasm');

/** About the record store of 100 k connections: far beyond L2, like the flow lookup's misses. */
const CHASE_BYTES = 16 << 20;

/** ns per dependent read with `threads` threads reading at once (their mean), or NaN. */
function chaseNs(threads: number): number {
  const r = spawnSync(process.execPath, [...kadNodeOptions(), PROBE, 'chase', String(CHASE_BYTES), String(threads)], { encoding: 'utf8' });
  try {
    const res = JSON.parse(r.stdout.trim()) as SplitResult;
    const ns = (res.threads ?? []).map((t) => t.nsPerRead ?? NaN);
    return ns.reduce((a, b) => a + b, 0) / ns.length;
  } catch {
    return NaN;
  }
}

/**
 * The other way the issue names, pipelining read → track → output, from the
 * ablation's stages: the read and the text are what could leave the main
 * thread; diagnosis needs each connection's whole life, and on this file
 * every connection lasts to the end, so it waits for the pass.
 */
function pipelineCeiling(stages: ReadonlyMap<Stage, number>): void {
  const read = stages.get('read');
  const report = stages.get('report');
  const output = stages.get('output');
  if (read === undefined || report === undefined || output === undefined) return;
  // Noise can leave a later stage's cumulative time below the one before: it adds nothing then.
  const text = Math.max(0, output - report);
  console.log(
    `  pipelining instead, from the ablation: reading (${read.toFixed(3)} s) and the text (${text.toFixed(3)} s) could run beside ` +
      `the pass; diagnosis waits for it (every connection here lasts to the end): at most ${(output / (output - read - text)).toFixed(2)} x`,
  );
}

export async function twoCoreSplit(
  file: string,
  packets: number,
  runs: number,
  dir: string,
  stages: ReadonlyMap<Stage, number> | null,
): Promise<void> {
  console.log(`\nTwo cores: how far splitting the flow table could go (whole processes, median of ${runs}, in turn):`);
  const halves = [walkBuild(dir, 'KAD_SHARD', 0), walkBuild(dir, 'KAD_SHARD', 1)];
  if (halves.includes(null)) {
    console.log('  (the walk could not be built by halves: is AssemblyScript installed? npm ci)');
    return;
  }
  const pinned = have('taskset');
  const jobs = [
    { name: 'one', cmd: process.execPath, args: [...kadNodeOptions(), PROBE, 'one', file], reads: [file] },
    { name: 'halves', cmd: process.execPath, args: [...kadNodeOptions(), PROBE, 'two', file, halves[0]!, halves[1]!], reads: [file] },
    { name: 'twice', cmd: process.execPath, args: [...kadNodeOptions(), PROBE, 'two', file, RELEASE, RELEASE], reads: [file] },
    ...(pinned
      ? [{ name: 'one 1 CPU', cmd: 'taskset', args: ['-c', '0', process.execPath, ...kadNodeOptions(), PROBE, 'one', file], reads: [file] }]
      : []),
  ];
  const results = await medianRounds(jobs, runs, ROOT);
  const get = (name: string): JobResult | undefined => results.find((r) => r.name === name && r.error === undefined);
  const line = (label: string, r: JobResult | undefined): void =>
    console.log(`  ${label.padEnd(66)} ${r ? `wall ${r.wall.toFixed(2)} s  CPU ${r.cpu.toFixed(2)} s` : 'failed'}`);
  const one = get('one');
  const halvesR = get('halves');
  const oneCpu = get('one 1 CPU');
  const twice = get('twice');
  line('one thread: the whole pass (track, diagnose, report, text)', one);
  if (pinned) line('  the same on one CPU (taskset -c 0)', oneCpu);
  line('two threads at once, each tracking one half of the flows, no merge', halvesR);
  line('two threads at once, each the whole pass (what sharing the machine costs)', twice);
  if (one && halvesR) {
    const vsOneCpu = oneCpu ? `, ${(oneCpu.wall / halvesR.wall).toFixed(2)} x the one-CPU wall` : '';
    console.log(
      `  ceiling of the split: ${(one.wall / halvesR.wall).toFixed(2)} x the one-thread wall${vsOneCpu} ` +
        `(the target asks 1.6 x), before any merge of the halves; ${(packets / halvesR.wall / 1e6).toFixed(2)} M packets/s wall`,
    );
    console.log(
      `  the halves spend ${(halvesR.cpu - one.cpu).toFixed(2)} s more CPU than one thread: both read and decode every frame ` +
        'and start a thread and a WebAssembly instance each; only the flow-table work and the verdicts divide',
    );
  }
  if (stages) pipelineCeiling(stages);
  const alone = chaseNs(1);
  const both = chaseNs(2);
  const shared = one && twice ? `two whole passes at once take ${(twice.wall / one.wall).toFixed(2)} x the wall of one; ` : '';
  console.log(
    `  ${shared}dependent random reads through ${CHASE_BYTES >> 20} MiB take ${alone.toFixed(0)} ns alone, ` +
      `${both.toFixed(0)} ns each with two threads at once (${(both / alone).toFixed(2)} x)`,
  );
}

/**
 * Issue 23's table: every input format and output mode of kad on the
 * round-robin worst case, next to the read floor (tcpdump), zcat and tshark,
 * CPU and wall medians taken in turn, with the issue's targets as verdicts,
 * and the ablation that shows where the time goes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../src/util/median.js';
import { CUT_BUILDS, STAGE_MEANING, STAGES, type Stage, type StageResult } from './ablation-stages.js';
import { medianRounds, warmCache, type Job, type JobResult } from './cpu-timing.js';
import { twoCoreSplit } from './split-section.js';
import { generateRoundRobinCapture, pcapToPcapng } from './synth-round-robin.js';
import { walkBuild } from './walk-builds.js';
import { pageFaultMicros } from './fault-cost.js';
import { have, kadNodeOptions, ROOT } from './bench-tools.js';

const ABLATION = fileURLToPath(new URL('./ablation-probe.js', import.meta.url));

export interface RoundRobinOptions {
  connections: number;
  rounds: number;
  runs: number;
  snaplen: number;
  tsharkPackets: number;
  /** Another checkout's root (built): its bin/kad runs alternately with this one's, for before/after ratios. */
  peer: string | null;
}

const fmtRate = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
const fmtS = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
const fmtCount = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

/** `gzip -1`, as a user compresses a capture to keep it. */
function gzipFile(src: string, dst: string): void {
  const out = openSync(dst, 'w');
  try {
    const r = spawnSync('gzip', ['-1', '-c', src], { stdio: ['ignore', out, 'inherit'] });
    if (r.status !== 0) throw new Error(`gzip -1 failed (exit ${r.status})`);
  } finally {
    closeSync(out);
  }
}

/** The first `packets` records, cut with editcap (tshark's own tool) so tshark gets a prefix it agrees with. */
function prefixOf(src: string, dst: string, packets: number): boolean {
  return spawnSync('editcap', ['-r', src, dst, `1-${packets}`], { stdio: 'ignore' }).status === 0;
}

function stageRun(stage: string, file: string, cut: string | undefined): Promise<StageResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...kadNodeOptions(), ABLATION, stage, file, ...(cut ? [cut] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as StageResult);
      } catch {
        resolve({ ok: false, error: `exit ${code}: ${err.trim().split('\n')[0] ?? ''}` });
      }
    });
  });
}

/** Prints the ablation; returns each stage's median CPU seconds (cumulative, as printed), or null when a stage failed. */
async function ablation(file: string, packets: number, runs: number, dir: string): Promise<Map<Stage, number> | null> {
  console.log(`\nAblation (in-process CPU after start-up, median of ${runs}; each stage includes the ones above it):`);
  const cuts = new Map<Stage, string | null>();
  for (const [stage, n] of Object.entries(CUT_BUILDS) as [Stage, number][]) cuts.set(stage, walkBuild(dir, 'KAD_ABLATE', n));
  const stages = STAGES.filter((s) => cuts.get(s) !== null);
  if (stages.length < STAGES.length)
    console.log('  (the walk could not be built cut short: is AssemblyScript installed? npm ci; those stages are left out)');
  const cpu = new Map<string, number[]>(stages.map((s) => [s, []]));
  const faults = new Map<string, number[]>(stages.map((s) => [s, []]));
  for (let r = 0; r < runs; r++) {
    for (const s of stages) {
      warmCache(file);
      const res = await stageRun(s, file, cuts.get(s) ?? undefined);
      if (!res.ok || res.cpu === undefined) {
        console.log(`  ${s}: failed (${res.error})`);
        return null;
      }
      cpu.get(s)!.push(res.cpu);
      faults.get(s)!.push(res.faults ?? NaN);
    }
  }
  let before = 0;
  let faultsBefore = 0;
  const medians = new Map<Stage, number>(stages.map((s) => [s, median(cpu.get(s)!)]));
  const total = medians.get('output')!;
  console.log('  stage     CPU s   adds    share  packets/s  faults adds  what the stage adds');
  for (const s of stages) {
    const c = medians.get(s)!;
    const adds = c - before;
    const f = median(faults.get(s)!);
    console.log(
      `  ${s.padEnd(8)} ${c.toFixed(3).padStart(6)}  ${adds.toFixed(3).padStart(6)}  ${((100 * adds) / total).toFixed(0).padStart(4)} %  ${fmtRate(packets / c).padStart(9)}  ` +
        `${fmtCount(f - faultsBefore).padStart(11)}  ${STAGE_MEANING[s]}`,
    );
    before = c;
    faultsBefore = f;
  }
  const passFaults = median(faults.get('output')!);
  if (Number.isFinite(passFaults)) {
    const us = pageFaultMicros();
    const s = (passFaults * us) / 1e6;
    console.log(
      `  page faults: fresh memory costs ${us.toFixed(1)} µs a page here (its first touch, timed just now), so the whole pass's ` +
        `${fmtCount(passFaults)} faults are about ${s.toFixed(3)} s, ${((100 * s) / total).toFixed(0)} % of its CPU (spread over the stages above).`,
    );
  }
  console.log(
    '  decode, lookup and records run the whole pass with the WebAssembly walk built cut short after that stage\n' +
      '  (asc --use KAD_ABLATE=N): flow lookup, bookkeeping and the event log are one walk, not separable from outside.\n' +
      "  A stage's 'adds' within about a tenth of the total is this kind of VM's noise between runs.",
  );
  return medians;
}

interface Row {
  label: string;
  packets: number;
  r: JobResult;
}

function printRows(rows: Row[], floor: JobResult | undefined, tshark: Row | undefined): void {
  const tsharkRate = tshark && Number.isFinite(tshark.r.cpu) ? tshark.packets / tshark.r.cpu : NaN;
  console.log(
    '\n  what                                   packets   CPU s  wall s  M/s CPU  M/s wall  x floor CPU  x tshark rate  page faults',
  );
  for (const { label, packets, r } of rows) {
    if (r.error) {
      console.log(`  ${label.padEnd(36)} failed: ${r.error}`);
      continue;
    }
    const floorX = floor && Number.isFinite(floor.cpu) ? (r.cpu / floor.cpu).toFixed(2) : '-';
    const tsX = Number.isFinite(tsharkRate) ? (packets / r.cpu / tsharkRate).toFixed(1) : '-';
    console.log(
      `  ${label.padEnd(36)} ${String(packets).padStart(9)}  ${fmtS(r.cpu).padStart(6)}  ${fmtS(r.wall).padStart(6)}  ` +
        `${(packets / r.cpu / 1e6).toFixed(2).padStart(7)}  ${(packets / r.wall / 1e6).toFixed(2).padStart(8)}  ${floorX.padStart(11)}  ${tsX.padStart(13)}  ${fmtCount(r.faults).padStart(11)}`,
    );
  }
}

function verdict(label: string, ok: boolean | null, detail: string): void {
  console.log(`  ${ok === null ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${label}: ${detail}`);
}

export async function runRoundRobinSection(dir: string, o: RoundRobinOptions): Promise<void> {
  const pcap = join(dir, 'round-robin.pcap');
  const ng = join(dir, 'round-robin.pcapng');
  const gz = join(dir, 'round-robin.pcap.gz');
  const prefix = join(dir, 'round-robin-prefix.pcap');
  let t0 = Date.now();
  const truth = generateRoundRobinCapture(pcap, o.connections, o.rounds, o.snaplen);
  const genS = (Date.now() - t0) / 1000;
  t0 = Date.now();
  pcapToPcapng(pcap, ng);
  const ngS = (Date.now() - t0) / 1000;
  t0 = Date.now();
  gzipFile(pcap, gz);
  const gzS = (Date.now() - t0) / 1000;
  const n = truth.packets;
  console.log(
    `\nRound-robin worst case: ${n.toLocaleString('en-US')} packets over ${truth.connections.toLocaleString('en-US')} connections, ` +
      `each packet a different connection than the one before (${(truth.bytes / 1048576).toFixed(0)} MiB pcap, snaplen ${o.snaplen}); ` +
      `written in ${genS.toFixed(1)} s, pcapng copy ${ngS.toFixed(1)} s, gzip -1 ${gzS.toFixed(1)} s`,
  );
  const tsharkOk = have('tshark') && have('editcap') && prefixOf(pcap, prefix, Math.min(o.tsharkPackets, n));
  const tsharkN = Math.min(o.tsharkPackets, n);

  const kadJobs = (kad: string, tag: string): Job[] => [
    { name: `${tag}text`, cmd: kad, args: ['analyze', pcap], reads: [pcap] },
    { name: `${tag}pcapng`, cmd: kad, args: ['analyze', ng], reads: [ng] },
    { name: `${tag}gzip`, cmd: kad, args: ['analyze', gz], reads: [gz] },
    { name: `${tag}json`, cmd: kad, args: ['analyze', '--json', pcap], reads: [pcap] },
    { name: `${tag}events`, cmd: kad, args: ['analyze', '--events', pcap], reads: [pcap] },
    { name: `${tag}events pcapng`, cmd: kad, args: ['analyze', '--events', ng], reads: [ng] },
    { name: `${tag}watch`, cmd: kad, args: ['watch', '-r', pcap], reads: [pcap] },
  ];
  const jobs: Job[] = [
    { name: 'floor', cmd: 'tcpdump', args: ['-r', pcap, '-w', '/dev/null'], reads: [pcap] },
    { name: 'zcat', cmd: 'zcat', args: [gz], reads: [gz] },
    ...kadJobs(join(ROOT, 'bin', 'kad'), ''),
    // The same runs pinned to one CPU: the two-core target compares their wall time with the unpinned runs'.
    ...(have('taskset')
      ? [
          { name: 'text 1 CPU', cmd: 'taskset', args: ['-c', '0', join(ROOT, 'bin', 'kad'), 'analyze', pcap], reads: [pcap] },
          { name: 'gzip 1 CPU', cmd: 'taskset', args: ['-c', '0', join(ROOT, 'bin', 'kad'), 'analyze', gz], reads: [gz] },
        ]
      : []),
    ...(o.peer ? kadJobs(join(o.peer, 'bin', 'kad'), 'peer ') : []),
  ];
  if (tsharkOk) {
    jobs.push({ name: 'tshark', cmd: 'tshark', args: ['-n', '-r', prefix, '-Y', 'tcp.analysis.keep_alive'], reads: [prefix] });
    jobs.push({
      name: 'tshark fields',
      cmd: 'tshark',
      args: [
        '-n',
        '-r',
        prefix,
        '-T',
        'fields',
        ...[
          'frame.number',
          'frame.time_epoch',
          'tcp.stream',
          'ip.src',
          'ip.dst',
          'tcp.flags.str',
          'tcp.seq_raw',
          'tcp.ack_raw',
          'tcp.len',
          'ip.ttl',
          'tcp.window_size_value',
          'ip.id',
        ].flatMap((f) => ['-e', f]),
      ],
      reads: [prefix],
    });
  }
  console.log(`Timing ${jobs.length} commands in turn, ${o.runs} rounds (CPU = user + sys of the process, from /usr/bin/time)...`);
  const results = await medianRounds(jobs, o.runs, ROOT, (r) => process.stdout.write(`  round ${r}/${o.runs} done\n`));
  const get = (name: string): JobResult | undefined => results.find((r) => r.name === name);
  const floor = get('floor');
  const row = (label: string, name: string, packets = n): Row[] => {
    const r = get(name);
    return r ? [{ label, packets, r }] : [];
  };
  const tsharkRow = row(`tshark -Y keep_alive (${tsharkN} prefix)`, 'tshark', tsharkN)[0];
  const rows: Row[] = [
    ...row('tcpdump -r FILE -w /dev/null (floor)', 'floor'),
    ...row('kad analyze FILE (text)', 'text'),
    ...row('  the same, on one CPU (taskset -c 0)', 'text 1 CPU'),
    ...row('kad analyze FILE.pcapng', 'pcapng'),
    ...row('kad analyze FILE.pcap.gz (gzip -1)', 'gzip'),
    ...row('  the same, on one CPU (taskset -c 0)', 'gzip 1 CPU'),
    ...row('zcat FILE.pcap.gz alone', 'zcat'),
    ...row('kad analyze --json FILE', 'json'),
    ...row('kad analyze --events FILE', 'events'),
    ...row('kad analyze --events FILE.pcapng', 'events pcapng'),
    ...row('kad watch -r FILE', 'watch'),
    ...(tsharkRow ? [tsharkRow] : []),
    ...row(`tshark -T fields (${tsharkN} prefix)`, 'tshark fields', tsharkN),
  ];
  printRows(rows, floor, tsharkRow);
  if (o.peer) {
    console.log(`\n  this build vs ${o.peer} (same rounds, alternating): CPU ratio and wall ratio, this ÷ peer`);
    for (const m of ['text', 'pcapng', 'gzip', 'json', 'events', 'events pcapng', 'watch']) {
      const a = get(m);
      const b = get(`peer ${m}`);
      if (a && b) console.log(`    ${m.padEnd(13)} CPU ${(a.cpu / b.cpu).toFixed(2)}  wall ${(a.wall / b.wall).toFixed(2)}`);
    }
  }

  console.log('\nTargets (issue 23), on this file:');
  const text = get('text');
  const ngR = get('pcapng');
  const gzR = get('gzip');
  const zcat = get('zcat');
  const ok = (r: JobResult | undefined): r is JobResult => r !== undefined && r.error === undefined;
  if (ok(text) && ok(floor)) {
    verdict('text >= 5 M packets/s CPU', n / text.cpu >= 5e6, `${fmtRate(n / text.cpu)}/s`);
    verdict('text CPU <= 2 x the read floor', text.cpu <= 2 * floor.cpu, `${(text.cpu / floor.cpu).toFixed(2)} x`);
  }
  if (ok(ngR) && ok(text))
    verdict(
      'pcapng within 1.2 x pcap',
      ngR.cpu <= 1.2 * text.cpu,
      `CPU ${(ngR.cpu / text.cpu).toFixed(2)} x, wall ${(ngR.wall / text.wall).toFixed(2)} x`,
    );
  const evR = get('events');
  const evNg = get('events pcapng');
  if (ok(evNg) && ok(evR))
    verdict(
      'pcapng --events within 1.2 x pcap --events',
      evNg.cpu <= 1.2 * evR.cpu,
      `CPU ${(evNg.cpu / evR.cpu).toFixed(2)} x, wall ${(evNg.wall / evR.wall).toFixed(2)} x`,
    );
  if (ok(gzR) && ok(zcat) && ok(text)) {
    const bound = Math.max(zcat.wall, text.wall);
    verdict(
      'gzip wall <= 1.2 x max(zcat, pcap analysis)',
      gzR.wall <= 1.2 * bound,
      `${(gzR.wall / bound).toFixed(2)} x (zcat ${fmtS(zcat.wall)} s, pcap ${fmtS(text.wall)} s)`,
    );
  }
  for (const m of ['text', 'gzip']) {
    const both = get(m);
    const one = get(`${m} 1 CPU`);
    if (ok(both) && ok(one))
      verdict(
        `${m}: wall on 2 CPUs >= 1.6 x faster than on one`,
        one.wall >= 1.6 * both.wall,
        `${(one.wall / both.wall).toFixed(2)} x (one CPU ${fmtS(one.wall)} s, two ${fmtS(both.wall)} s)`,
      );
  }
  for (const [m, target] of [
    ['json', 3e6],
    ['events', 1.5e6],
    ['watch', 3e6],
  ] as const) {
    const r = get(m);
    if (ok(r))
      verdict(`${m} >= ${fmtRate(target)}/s (wall)`, n / r.wall >= target, `${fmtRate(n / r.wall)}/s wall, ${fmtRate(n / r.cpu)}/s CPU`);
  }
  const fields = get('tshark fields');
  const ev = get('events');
  if (ok(fields) && ok(ev)) {
    const x = n / ev.cpu / (tsharkN / fields.cpu);
    verdict('--events >= 30 x tshark -T fields (CPU rate)', x >= 30, `${x.toFixed(1)} x`);
  }
  const stages = await ablation(pcap, n, Math.min(o.runs, 3), dir);
  await twoCoreSplit(pcap, n, o.runs, dir, stages);
  for (const f of [pcap, ng, gz, prefix]) rmSync(f, { force: true });
}

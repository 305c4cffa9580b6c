/**
 * Bench-only entry point: runs the analyze pipeline on one capture up to a
 * given stage and stops there, printing one JSON line with the CPU and wall
 * seconds spent after start-up. The stage before tells how much of that each
 * stage adds (run-bench takes the differences).
 *
 *   node dist/bench/ablation-probe.js STAGE FILE [CUT.wasm]
 *
 * Stages, each including the ones before (STAGE_MEANING in ablation-stages.ts):
 * read, decode, lookup, records, track, diagnose, report, output. decode,
 * lookup and records run the whole pass with CUT.wasm, a build of the
 * WebAssembly walk cut short after that stage (CUT_BUILDS): flow lookup,
 * bookkeeping and the event log happen inside one walk and cannot be stopped
 * apart from outside it.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { usePassBuild } from '../src/track/wasm-pass.js';

import { CUT_BUILDS, STAGES, type Stage, type StageResult } from './ablation-stages.js';
import { wholePass } from './whole-pass.js';

function readOnly(file: string): number {
  const buf = Buffer.allocUnsafeSlow(1 << 20);
  const fd = openSync(file, 'r');
  let bytes = 0;
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) bytes += n;
  closeSync(fd);
  return bytes;
}

async function runStage(stage: Stage, file: string, cut: string | undefined): Promise<number> {
  if (stage === 'read') return readOnly(file);
  if (stage === 'track' || stage === 'diagnose' || stage === 'report' || stage === 'output')
    return (await wholePass(file, stage)).tcpPackets;
  if (cut === undefined) throw new Error(`stage ${stage} needs the walk built with KAD_ABLATE=${CUT_BUILDS[stage]}`);
  usePassBuild(readFileSync(cut));
  return (await wholePass(file, 'track')).frames;
}

async function main(): Promise<void> {
  const [stage, file, cut] = process.argv.slice(2);
  if (!STAGES.includes(stage as Stage) || !file) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: `usage: ablation-probe ${STAGES.join('|')} FILE [CUT.wasm]` })}\n`);
    process.exitCode = 2;
    return;
  }
  const faults0 = process.resourceUsage().minorPageFault;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const packets = await runStage(stage as Stage, file, cut);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  const faults = process.resourceUsage().minorPageFault - faults0;
  const r: StageResult = { ok: true, cpu: (c.user + c.system) / 1e6, wall, packets, faults };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exitCode = 1;
});

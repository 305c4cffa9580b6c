/**
 * (c) `kad analyze -` on a stream far larger than memory would hold as a
 * file in RAM, generated into the pipe as kad reads it: does it finish, how
 * fast, at what peak RSS. Then the same generator, small, through
 * `kad analyze` on a file and on stdin: the two reports must agree.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChurn } from './churn-stream.js';
import { killChild, track } from './children.js';
import { KAD, pipeRun } from './pipe-run.js';
import { emptySection, fmtInt, fmtMiB, fmtRate, verdict, type SectionResult } from './scale-report.js';

export interface OfflineOptions {
  packets: number;
  comparePackets: number;
  capMs: number;
}

const TARGET_PEAK_KIB = 2 * 1024 * 1024;
const REPORT_HEAD = 12;

/** The report's summary: the lines above the per-connection list, without the file's name. */
export function reportSummary(text: string): string[] {
  const lines = text.split('\n');
  const stop = lines.findIndex((l) => /^\s*Problem connections/.test(l));
  return (stop === -1 ? lines : lines.slice(0, stop))
    .map((l) => l.replace(/^\S.*? — /, 'CAPTURE — ').trimEnd())
    .filter((l) => l.trim() !== '');
}

function analyzeFile(file: string, capMs: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const kad = track(
      spawn(process.execPath, [KAD, 'analyze', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }),
    );
    const cap = setTimeout(() => killChild(kad), capMs);
    let stdout = '';
    kad.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    kad.stderr!.resume();
    kad.on('close', (code) => {
      clearTimeout(cap);
      resolve({ code, stdout });
    });
  });
}

async function fileVersusStdin(s: SectionResult, packets: number, capMs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kad-scale-'));
  try {
    const file = join(dir, 'churn.pcap');
    const out = createWriteStream(file);
    await writeChurn(out, { packets });
    out.end();
    await once(out, 'finish');
    const fromFile = await analyzeFile(file, capMs);
    const fromStdin = await pipeRun({
      label: 'stdin',
      genArgs: ['--packets', String(packets)],
      kadArgs: ['analyze', '-'],
      capMs,
      sampleMs: 250,
      progressMs: 0,
    });
    // pipeRun keeps the head of stdout only: compare the summaries, which come first.
    const a = reportSummary(fromFile.stdout);
    const b = fromStdin.stdoutHead.slice(0, a.length + 4).join('\n');
    const bs = reportSummary(b).slice(0, a.length);
    const same = fromFile.code === 0 && fromStdin.code === 0 && a.length > 0 && a.join('\n') === bs.join('\n');
    s.metrics.push({
      metric: `file vs stdin, ${fmtInt(packets)} packets`,
      value: same ? 'summaries agree' : `differ (file exit ${fromFile.code}, stdin exit ${fromStdin.code})`,
      target: 'agree',
      verdict: verdict(same),
    });
    if (!same) {
      s.notes = s.notes.concat(
        ['file summary:'],
        a.map((l) => `  | ${l}`),
        ['stdin summary:'],
        bs.map((l) => `  | ${l}`),
      );
    }
    s.data.fileVsStdin = { packets, agree: same, fileSummary: a, stdinSummary: bs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function offlineSection(o: OfflineOptions): Promise<SectionResult> {
  const s = emptySection('c', `kad analyze - on a ${fmtInt(o.packets)}-packet stream from stdin`);
  const run = await pipeRun({
    label: 'offline',
    genArgs: ['--packets', String(o.packets)],
    kadArgs: ['analyze', '-'],
    capMs: o.capMs,
    sampleMs: 250,
    progressMs: 15_000,
  });
  const ok = !run.timedOut && run.code === 0;
  const peak = run.samples.at(-1)?.hwmKiB ?? null;
  const seconds = run.wallMs / 1000;
  const ended = run.timedOut ? `killed at the ${o.capMs / 1000} s cap` : run.code === 0 ? 'exit 0' : `exit ${run.code ?? run.signal}`;
  s.metrics.push(
    { metric: 'kad run', value: ended, target: 'completes (exit 0)', verdict: verdict(ok) },
    { metric: 'packets written by the generator', value: fmtInt(run.genPackets) },
    { metric: 'wall time', value: `${seconds.toFixed(1)} s` },
    {
      metric: 'packets/s',
      value: ok ? fmtRate(o.packets / seconds) : `n/a (${fmtRate(run.genPackets / seconds)} written/s until it ended)`,
    },
    {
      metric: 'peak RSS (VmHWM, last sample)',
      value: peak === null ? 'n/a' : fmtMiB(peak),
      target: '<= 2 GiB',
      verdict: verdict(peak === null ? null : peak <= TARGET_PEAK_KIB),
    },
  );
  const head = run.stdoutHead.slice(0, REPORT_HEAD);
  s.notes.push(`first lines of kad's report (${fmtInt(run.stdoutLines)} lines in all):`);
  for (const l of head) s.notes.push(`  | ${l}`);
  if (run.stderrHead.trim()) s.notes.push(`kad stderr: ${run.stderrHead.trim().split('\n').slice(0, 5).join(' | ')}`);
  s.data = {
    packetsRequested: o.packets,
    packetsWritten: run.genPackets,
    exitCode: run.code,
    signal: run.signal,
    timedOut: run.timedOut,
    wallS: seconds,
    packetsPerSec: ok ? o.packets / seconds : null,
    vmHwmKiB: peak,
    reportHead: head,
    stderr: run.stderrHead.slice(0, 2000),
  };
  await fileVersusStdin(s, o.comparePackets, o.capMs);
  return s;
}

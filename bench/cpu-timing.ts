/**
 * CPU and wall time of whole child processes, from /usr/bin/time (user + sys
 * of the child and everything it waited for). CPU time is the figure that
 * survives a busy machine: wall time also counts the other jobs' turns.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../src/util/median.js';

export interface Timed {
  cpu: number;
  wall: number;
  /** Minor page faults: pages the process touched for the first time (the kernel maps and zeroes each one). */
  faults: number;
}

export interface TimedRun extends Timed {
  code: number | null;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/** One run of `cmd`, stdout to /dev/null (or to `stdoutFile`). */
export function timeCpu(cmd: string, args: string[], cwd: string, stdoutFile = '/dev/null'): Promise<TimedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'kad-time-'));
  const report = join(dir, 'time');
  return new Promise((resolve) => {
    const out = openSync(stdoutFile, 'w');
    const child = spawn(GNU_TIME, ['-f', '%U %S %e %R', '-o', report, cmd, ...args], { stdio: ['ignore', out, 'pipe'], cwd });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 4000) stderr += b.toString();
    });
    const done = (code: number | null): void => {
      closeSync(out);
      let cpu = NaN;
      let wall = NaN;
      let faults = NaN;
      try {
        const [u, s, e, r] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpu = u! + s!;
        wall = e!;
        faults = r!;
      } catch {
        // No report: the command did not run; code says why.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ cpu, wall, faults, code, stderr });
    };
    child.on('error', (err) => {
      stderr += err.message;
      done(-1);
    });
    child.on('close', done);
  });
}

/**
 * Reads `file` once, untimed, so every timed run starts with it in the page
 * cache: a host that reclaims idle page cache (DAMON pageout on this VM)
 * otherwise evicts part of the capture between runs, and a run then times the
 * disk as well, by chance and for one tool more than another.
 */
export function warmCache(file: string): void {
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(file, 'r');
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

export interface Job {
  name: string;
  cmd: string;
  args: string[];
  /** Files the command reads, warmed before each run. */
  reads: string[];
  /** Fewer runs than the others (a slow peer such as tshark). */
  runs?: number;
}

export interface JobResult extends Timed {
  name: string;
  runs: number;
  error?: string;
}

/**
 * Medians of `runs` runs of every job, the jobs taken in turn within each
 * round: load that comes and goes then falls on every job alike, so that
 * ratios between jobs of one call stay meaningful on a shared machine.
 */
export async function medianRounds(jobs: Job[], runs: number, cwd: string, onRound?: (round: number) => void): Promise<JobResult[]> {
  const cpu = jobs.map((): number[] => []);
  const wall = jobs.map((): number[] => []);
  const faults = jobs.map((): number[] => []);
  const errors: (string | undefined)[] = jobs.map(() => undefined);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j]!;
      if (errors[j] !== undefined || r >= (job.runs ?? runs)) continue;
      for (const f of job.reads) warmCache(f);
      const t = await timeCpu(job.cmd, job.args, cwd);
      if (t.code !== 0 || !Number.isFinite(t.cpu)) {
        errors[j] = `exit ${t.code}: ${t.stderr.split('\n').find((l) => l.trim() !== '') ?? 'no message'}`;
        continue;
      }
      cpu[j]!.push(t.cpu);
      wall[j]!.push(t.wall);
      faults[j]!.push(t.faults);
    }
    onRound?.(r + 1);
  }
  return jobs.map((job, j) => ({
    name: job.name,
    cpu: median(cpu[j]!),
    wall: median(wall[j]!),
    faults: median(faults[j]!),
    runs: cpu[j]!.length,
    error: errors[j],
  }));
}

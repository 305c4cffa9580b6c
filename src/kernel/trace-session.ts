import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readSync, rmdirSync, writeFileSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UserError } from '../model/errors.js';
import type { KernelEvent } from '../model/kernel-event.js';
import { parseTraceLine } from './trace-line.js';

/** Where tracefs lives; KAD_TRACEFS points elsewhere (the tests use it to play a host without tracefs). */
export function tracefsRoot(): string {
  return process.env.KAD_TRACEFS ?? '/sys/kernel/tracing';
}

/** The tracepoints kad enables, as "<system>/<event>" under events/. */
export const TRACEPOINTS = [
  'tcp/tcp_receive_reset',
  'tcp/tcp_send_reset',
  'sock/inet_sk_error_report',
  'sock/inet_sock_set_state',
  'tcp/tcp_retransmit_skb',
] as const;

/** Instances are named kad-<pid>: a later run can tell a killed run's leftover (dead pid) from a running one. */
const INSTANCE = /^kad-(\d+)$/;

/** Bytes drained from trace_pipe per read(): a flood is read over several calls, never all at once. */
const READ_BUDGET = 1 << 20;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, only not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeQuiet(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch {
    // Best effort: an event that is missing, or an instance half torn down.
  }
}

/** Disables every event kad enables, then removes the instance directory (the kernel refuses while trace_pipe is open). */
function removeInstance(dir: string): boolean {
  for (const tp of TRACEPOINTS) if (existsSync(join(dir, 'events', tp, 'enable'))) writeQuiet(join(dir, 'events', tp, 'enable'), '0');
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Instances left by runs that were killed (SIGKILL, OOM) and had no chance to
 * remove theirs: a kad-<pid> whose pid is gone. A reused pid keeps its
 * leftover until that process ends too, which is harmless.
 */
export function removeStaleInstances(root = tracefsRoot()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(join(root, 'instances'));
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = INSTANCE.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    if (removeInstance(join(root, 'instances', name))) removed.push(name);
  }
  return removed;
}

/** Mounts tracefs where it is absent, or says (exit 69) what to do. */
function ensureTracefs(root: string): void {
  if (existsSync(join(root, 'instances'))) return;
  const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', root], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(join(root, 'instances'))) return;
  const why = (r.stderr || r.error?.message || 'mount failed').trim().split('\n')[0];
  throw new UserError(
    `--kernel: no tracefs at ${root} and it cannot be mounted (${why}): mount it (mount -t tracefs nodev ${root}) or use a kernel with tracing (CONFIG_FTRACE)`,
    EXIT.unavailable,
  );
}

/**
 * A private trace instance (instances/kad-<pid>) with kad's TCP tracepoints
 * enabled: no global tracing state is touched, and the instance goes on every
 * exit path (close(), and a process 'exit' hook for the rest). Its clock is
 * `mono` (CLOCK_MONOTONIC, what process.hrtime reads), so an event's wall
 * time is its stamp plus the wall − monotonic offset measured at open.
 */
export class TraceSession {
  readonly dir: string;
  /** Tracepoints this kernel lacks (named once on stderr by the caller). */
  readonly missing: string[] = [];
  /** Epoch seconds − CLOCK_MONOTONIC seconds. */
  readonly wallOffsetS: number;
  /** When tracing began, epoch seconds: absence of an event before this proves nothing. */
  readonly startedS: number;
  private fd: number | null = null;
  private partial = '';
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  private readonly onExit = (): void => this.close();
  /** "[LOST n EVENTS]" notices: the kernel's buffer overflowed before kad read it. */
  lost = 0;

  constructor(root = tracefsRoot(), command = 'kad watch') {
    if (process.getuid?.() !== 0) {
      throw new UserError(`${command} --kernel needs root to read kernel tracepoints (tracefs): run it as root`, EXIT.noPermission);
    }
    ensureTracefs(root);
    removeStaleInstances(root);
    this.dir = join(root, 'instances', `kad-${process.pid}`);
    if (!existsSync(this.dir)) mkdirSync(this.dir);
    process.once('exit', this.onExit);
    try {
      writeFileSync(join(this.dir, 'trace_clock'), 'mono');
      for (const tp of TRACEPOINTS) {
        const enable = join(this.dir, 'events', tp, 'enable');
        if (!existsSync(enable)) {
          this.missing.push(tp.replace('/', ':'));
          continue;
        }
        writeFileSync(enable, '1');
      }
      // Non-blocking: an empty pipe answers EAGAIN at once, so the reader never parks a thread and close() never waits.
      this.fd = openSync(join(this.dir, 'trace_pipe'), constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      this.close();
      throw new UserError(`--kernel: cannot set up the trace instance ${this.dir}: ${(err as Error).message}`, EXIT.unavailable);
    }
    this.wallOffsetS = Date.now() / 1000 - Number(process.hrtime.bigint()) / 1e9;
    this.startedS = Date.now() / 1000;
  }

  /** What the kernel has reported since the last call (up to READ_BUDGET bytes of it). */
  read(): KernelEvent[] {
    const out: KernelEvent[] = [];
    if (this.fd === null) return out;
    let bytes = 0;
    while (bytes < READ_BUDGET) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
      if (n <= 0) break;
      bytes += n;
      const text = this.partial + this.buf.toString('latin1', 0, n);
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const ev = parseTraceLine(line);
        if (ev) out.push(ev);
        else if (line.includes('LOST')) this.lost += Number(/LOST (\d+)/.exec(line)?.[1] ?? 0);
      }
    }
    return out;
  }

  /** Idempotent: closes the pipe, disables the events, removes the instance. */
  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed.
      }
      this.fd = null;
    }
    process.removeListener('exit', this.onExit);
    if (existsSync(this.dir)) removeInstance(this.dir);
  }
}

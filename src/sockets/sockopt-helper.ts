import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../model/errors.js';
import { OPTION_FIELDS, type KeepaliveChange, type KeepaliveOptions } from './keepalive-options.js';

/**
 * native/sockopt/kad-sockopt, built by scripts/install.sh; KAD_SOCKOPT
 * overrides (tests). A child process rather than an FFI package or an
 * addon: Node cannot make the two syscalls itself, the child is one spawn
 * (about 2 ms) for all of a process's sockets, and a crash in it cannot take
 * kad down with it.
 */
export function sockoptPath(): string {
  return process.env.KAD_SOCKOPT ?? fileURLToPath(new URL('../../../native/sockopt/kad-sockopt', import.meta.url));
}

export type SocketOptionsResult =
  | { fd: number; kind: 'ok'; before: KeepaliveOptions | null; now: KeepaliveOptions }
  | { fd: number; kind: 'skip'; reason: 'gone' | 'listening' | 'not-tcp' | 'not-a-socket' }
  | { fd: number; kind: 'error'; errno: string; message: string };

/** One line of kad-sockopt's output per descriptor; 'before' lines pair with the 'ok' after them. */
export function parseSockoptOutput(text: string): SocketOptionsResult[] {
  const out: SocketOptionsResult[] = [];
  const before = new Map<number, KeepaliveOptions>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [fdText, kind, ...rest] = line.split('\t');
    const fd = Number(fdText);
    if (kind === 'before' || kind === 'ok') {
      const n = rest.map(Number);
      const v: KeepaliveOptions = { keepalive: n[0] === 1, idleS: n[1]!, intervalS: n[2]!, count: n[3]!, userTimeoutMs: n[4]! };
      if (kind === 'before') before.set(fd, v);
      else out.push({ fd, kind: 'ok', before: before.get(fd) ?? null, now: v });
    } else if (kind === 'skip') {
      out.push({ fd, kind: 'skip', reason: rest[0] as 'gone' });
    } else if (kind === 'error') {
      out.push({ fd, kind: 'error', errno: rest[0] ?? '', message: rest[1] ?? '' });
    }
  }
  return out;
}

/** The process exited (or never was): said the same way wherever kad finds it gone, and told apart by type, not by its words. */
export class ProcessGoneError extends UserError {
  constructor(pid: number) {
    super(`process ${pid} does not exist (it may have exited)`, EXIT.usage);
  }
}

/** Yama's ptrace_scope 3 forbids attaching to anything, root included; kad cannot help there. */
function ptraceScope(): number | null {
  try {
    return Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8'));
  } catch {
    return null;
  }
}

/** kad-sockopt's exit status → the one line the user sees. */
function failure(status: number | null, stderr: string, pid: number, bin: string): UserError {
  const said =
    stderr
      .trim()
      .split('\n')[0]
      ?.replace(/^kad-sockopt: /, '') ?? '';
  switch (status) {
    case 3:
      return new ProcessGoneError(pid);
    case 4:
      return new UserError(`this kernel has no pidfd_getfd (Linux 5.6 or later is needed): ${said}`, EXIT.unavailable);
    case 5:
      return ptraceScope() === 3
        ? new UserError(
            `kernel.yama.ptrace_scope is 3: no process may take another's sockets, root included (it can only be lowered by a reboot)`,
            EXIT.noPermission,
          )
        : new UserError(
            `not permitted to take process ${pid}'s sockets (${said}): run kad fix as root, or with CAP_SYS_PTRACE${ptraceScope() === 2 ? ' (kernel.yama.ptrace_scope is 2: only CAP_SYS_PTRACE will do)' : ''}`,
            EXIT.noPermission,
          );
    default:
      return new UserError(`${bin} failed (${status ?? 'killed'}): ${said}`, EXIT.internal);
  }
}

/** Runs kad-sockopt over some of `pid`'s descriptors: reads them, and sets `change` when given. */
export function socketOptions(pid: number, fds: readonly number[], change: KeepaliveChange | null = null): SocketOptionsResult[] {
  if (fds.length === 0) return [];
  const bin = sockoptPath();
  const args = [String(pid)];
  if (change) {
    const v = (f: (typeof OPTION_FIELDS)[number]): string => {
      const x = change[f];
      return x === undefined ? '-' : typeof x === 'boolean' ? (x ? '1' : '0') : String(x);
    };
    args.push('-s', OPTION_FIELDS.map(v).join(','));
  }
  const results: SocketOptionsResult[] = [];
  // A few thousand descriptors per run keeps the argument list far below ARG_MAX.
  for (let i = 0; i < fds.length; i += 4096) {
    const r = spawnSync(bin, [...args, ...fds.slice(i, i + 4096).map(String)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'ENOENT'
          ? `${bin} is not built: run make -C native/sockopt (scripts/install.sh does it)`
          : `cannot run ${bin}: ${r.error.message}`,
        EXIT.unavailable,
      );
    }
    if (r.status !== 0) throw failure(r.status, r.stderr, pid, bin);
    for (const x of parseSockoptOutput(r.stdout)) results.push(x);
  }
  return results;
}

/**
 * Every process and network namespace the scale harness starts, so that each
 * exit path (normal end, a thrown error, Ctrl-C, a time cap) ends them by PID
 * and deletes the namespaces. Nothing is ever killed by name.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';

const pids = new Set<number>();
const namespaces = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`scale: ${sig}, ending children and deleting namespaces\n`);
      cleanupAll();
      process.exit(130);
    });
  }
}

/** Remembers `child` until it exits. */
export function track(child: ChildProcess): ChildProcess {
  install();
  const pid = child.pid;
  if (pid !== undefined) {
    pids.add(pid);
    child.once('exit', () => pids.delete(pid));
  }
  return child;
}

/** Sends `signal` to one child by its PID, if it is still ours and alive. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  const pid = child.pid;
  if (pid === undefined || !pids.has(pid) || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Exited between the check and the signal.
  }
}

export function addNamespace(name: string): void {
  install();
  namespaces.add(name);
}

export function deleteNamespace(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  namespaces.delete(name);
}

/** Synchronous, so it also works from the 'exit' event. */
export function cleanupAll(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  pids.clear();
  for (const ns of [...namespaces]) deleteNamespace(ns);
}

import { spawn, type ChildProcess } from 'node:child_process';

/** A lab step that failed; its message is shown to the user as one line. */
export class LabError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'LabError';
    this.exitCode = exitCode;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a short command to completion. The lab only ever runs commands it
 * composed itself (argv, never a shell string), so nothing needs quoting.
 */
export function run(cmd: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new LabError(`${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else {
        // nft puts the reason on an "Error:" line followed by a caret diagram.
        const lines = stderr.trim().split('\n');
        const why = lines.find((l) => l.includes('Error:')) ?? lines.pop() ?? '';
        reject(new LabError(`${cmd} ${args.join(' ')}: ${why || (signal ? `killed by ${signal}` : `exit code ${code}`)}`));
      }
    });
    // A command that fails early closes its stdin; its exit status tells why, not EPIPE.
    child.stdin?.on('error', () => {}).end(input);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends `signal` to a child we started, by its PID, and waits for it to exit
 * (SIGKILL after `graceMs`). A child that already exited is left alone: its
 * PID may belong to someone else by now.
 */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 2000,
): Promise<void> {
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (child.pid === undefined || gone()) return;
  child.kill(signal);
  const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
  if ((await Promise.race([exited.then(() => 'done' as const), late])) === 'late' && !gone()) {
    child.kill('SIGKILL');
    await exited;
  }
}

import { spawn } from 'node:child_process';

export type ChildOutcome = { ok: true } | { ok: false; reason: string };

/** Thrown when a read is stopped (SIGINT): the caller stops, it does not fall back. */
export class ReadStopped extends Error {
  constructor() {
    super('socket table read stopped');
  }
}

/**
 * Runs a reader program and hands its stdout to `onChunk` as it arrives,
 * so nothing output-sized is held. Stopping (`signal`) kills the child by
 * its PID at once: an in-flight ss over 10^5 sockets runs for seconds, and
 * Ctrl-C must not wait for it. Failure is one line: what failed and why.
 */
export function streamChild(
  bin: string,
  args: readonly string[],
  onChunk: (chunk: Buffer) => void,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new ReadStopped());
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let failed: string | null = null;
    let settled = false;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = (): void => {
      kill();
      finish(() => reject(new ReadStopped()));
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => ((failed = `${bin} took longer than ${opts.timeoutMs} ms`), kill()), opts.timeoutMs)
      : null;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      f();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (failed !== null || settled) return;
      try {
        onChunk(chunk);
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
        kill();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      finish(() => resolve({ ok: false, reason: err.code === 'ENOENT' ? `${bin} not found` : `${bin}: ${err.message}` })),
    );
    child.on('close', (code, sig) =>
      finish(() => {
        if (failed !== null) return resolve({ ok: false, reason: failed });
        if (code === 0) return resolve({ ok: true });
        const why = stderr.split('\n').find((l) => l.trim() !== '') ?? (sig ? `killed by ${sig}` : `exit status ${code}`);
        resolve({ ok: false, reason: `${bin} failed: ${why.trim()}` });
      }),
    );
  });
}

import { execFile } from 'node:child_process';
import { createProcSource, defaultRoots } from './proc-source.js';
import { readProcSockets } from './proc-sockets.js';
import { parseSsOutput } from './ss-parse.js';
import type { SocketRead } from './socket-types.js';

/** -n: numeric ports (no /etc/services names); -p: owners; -H: no header. */
export const SS_ARGS = ['-H', '-t', '-i', '-n', '-o', '-e', '-p'] as const;

export interface ReadSocketsOptions {
  /** ss binary; default 'ss' from PATH. */
  ss?: string;
  /** Skip ss and read /proc directly (tests; hosts where ss is broken). */
  procOnly?: boolean;
  procRoot?: string;
}

function runSs(bin: string): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    // ss -e prints "Failed to find cgroup2 mount" on stderr inside some namespaces: not an error.
    execFile(bin, [...SS_ARGS], { encoding: 'utf8', timeout: 10_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => {
      if (!err) return resolve({ ok: true, stdout });
      const code = (err as NodeJS.ErrnoException).code;
      resolve({ ok: false, reason: code === 'ENOENT' ? `${bin} not found` : `${bin} failed: ${err.message.split('\n')[0]}` });
    });
  });
}

/**
 * This network namespace's TCP sockets (listeners excluded): `ss -Htinoep`
 * when ss is there (it has idle clocks), else /proc/net/tcp{,6} with
 * owners from /proc/PID/fd.
 */
export async function readSockets(opts: ReadSocketsOptions = {}): Promise<SocketRead> {
  let fallbackReason = 'asked for /proc';
  if (!opts.procOnly) {
    const r = await runSs(opts.ss ?? 'ss');
    if (r.ok) return { sockets: parseSsOutput(r.stdout), source: 'ss', fallbackReason: null };
    fallbackReason = r.reason;
  }
  const { sockets } = readProcSockets(createProcSource(defaultRoots(opts.procRoot ? { procRoot: opts.procRoot } : {})));
  return { sockets, source: 'proc', fallbackReason };
}

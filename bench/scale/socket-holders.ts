/**
 * N ESTABLISHED loopback connections (2N sockets) held in a network
 * namespace of our own, `kadscale-<pid>`, for the socket scale bench and
 * lab tests. Several holder processes share the load: the hard open-files
 * limit is 20 000 per process, so each holds at most 9 500 connections
 * (19 000 fds), on its own listening port so that every 4-tuple is unique.
 * Everything is torn down on every exit path: holders killed by PID, the
 * namespace deleted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PER_HOLDER = 9_500;
const FIRST_PORT = 20_000;
const HOLDER_JS = fileURLToPath(new URL('./socket-holder-child.js', import.meta.url));

export interface SocketHolders {
  ns: string;
  connections: number;
  pids: number[];
  /** Runs `args` inside the namespace (ip netns exec). */
  execArgs(args: readonly string[]): string[];
  close(): void;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

function waitReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.startsWith('ready ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder on port ${port} exited (${code}): ${err.trim()}`)));
  });
}

/** Opens `connections` connections in a fresh namespace; close() (or process exit) removes everything. */
export async function holdSockets(connections: number, name = `kadscale-${process.pid}`): Promise<SocketHolders> {
  const children: ChildProcess[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const c of children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    process.removeListener('exit', close);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    close();
    process.kill(process.pid, sig);
  };
  process.once('exit', close);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    ip(['netns', 'add', name]);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    // Documentation addresses, for callers that want more 4-tuples than 127.0.0.1 gives.
    for (const a of ['192.0.2.1/32', '198.51.100.1/32', '203.0.113.1/32']) ip(['-n', name, 'addr', 'add', a, 'dev', 'lo']);
    const ready: Promise<void>[] = [];
    for (let left = connections, port = FIRST_PORT; left > 0; left -= PER_HOLDER, port++) {
      const n = Math.min(PER_HOLDER, left);
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, HOLDER_JS, String(port), String(n)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      ready.push(waitReady(child, port));
    }
    // A holder that never gets there (a lost handshake) must fail the run, not hang it.
    const limitMs = 120_000 + connections;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`holders not ready after ${limitMs / 1000} s`)), limitMs);
    });
    try {
      await Promise.race([Promise.all(ready), late]);
    } finally {
      clearTimeout(timer);
    }
  } catch (err) {
    close();
    throw err;
  }
  return {
    ns: name,
    connections,
    pids: children.map((c) => c.pid ?? -1),
    execArgs: (args) => ['netns', 'exec', name, ...args],
    close,
  };
}

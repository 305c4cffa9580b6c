import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { streamChild } from './child-stream.js';
import { createProcSource, defaultRoots } from './proc-source.js';
import { readProcSockets } from './proc-sockets.js';
import { SockdiagDecoder } from './sockdiag-decode.js';
import { ssParser } from './ss-parse.js';
import type { SocketInfo, SocketRead, SocketSource } from './socket-types.js';

/**
 * -n: numeric ports; -i: tcp_info (idle clocks); -o: timers; -e: inode and
 * cookie (sk:); -H: no header. Not -p: owners walk every /proc/PID/fd (25
 * of 33 s at 190 k sockets); fillOwners() resolves them, by inode, for the
 * rows that need one. -e costs seconds at that scale too (a cgroup path per
 * socket), but without the inode no owner can be found: ss is the fallback
 * for hosts without kad-sockdiag, which has both for free.
 */
export const SS_ARGS = ['-H', '-t', '-i', '-n', '-o', '-e'] as const;

/**
 * TCP states read, as a bit mask of kernel state numbers: ss's default
 * ("connected": not LISTEN, CLOSE, TIME_WAIT or SYN_RECV), so every reader
 * returns the same rows.
 */
const CONNECTED_STATES = [1, 2, 4, 5, 8, 9, 11].reduce((m, st) => m | (1 << st), 0);

/** Where scripts/install.sh builds the sock_diag helper; KAD_SOCKDIAG overrides it. */
export function sockdiagPath(): string {
  return process.env.KAD_SOCKDIAG ?? fileURLToPath(new URL('../../../native/sockdiag/kad-sockdiag', import.meta.url));
}

export interface ReadSocketsOptions {
  /** ss binary; default 'ss' from PATH. */
  ss?: string;
  /** kad-sockdiag binary; default sockdiagPath(). */
  sockdiag?: string;
  /** Start the chain at this reader (tests; hosts where one is broken). */
  from?: SocketSource;
  /** Skip ss and sock_diag and read /proc directly; the same as from: 'proc'. */
  procOnly?: boolean;
  procRoot?: string;
  /** Stops the read, killing its child at once: readSockets() then throws ReadStopped. */
  signal?: AbortSignal;
}

const CHAIN: readonly SocketSource[] = ['sock_diag', 'ss', 'proc'];

async function viaSockdiag(bin: string, signal?: AbortSignal): Promise<SocketInfo[] | string> {
  if (!existsSync(bin)) return `${bin} not built (scripts/install.sh builds it)`;
  const d = new SockdiagDecoder();
  const r = await streamChild(bin, ['-s', CONNECTED_STATES.toString(16)], (c) => d.push(c), { signal, timeoutMs: 60_000 });
  if (!r.ok) return r.reason;
  try {
    return d.end();
  } catch (err) {
    return (err as Error).message;
  }
}

async function viaSs(bin: string, signal?: AbortSignal): Promise<SocketInfo[] | string> {
  const p = ssParser();
  const text = new StringDecoder('utf8');
  // ss -e prints "Failed to find cgroup2 mount" on stderr inside some namespaces: only the exit status counts.
  const r = await streamChild(bin, SS_ARGS, (c) => p.push(text.write(c)), { signal, timeoutMs: 60_000 });
  if (!r.ok) return r.reason;
  p.push(text.end());
  return p.end();
}

/**
 * This network namespace's TCP sockets (listeners excluded), from the
 * fastest reader that works: sock_diag (kad-sockdiag: binary records with
 * idle clocks, timers and the cookie), else `ss -Htinoe` (streamed), else
 * /proc/net/tcp{,6} (no idle clocks). Says which ran and why the faster
 * ones did not. Owners are left to fillOwners().
 */
export async function readSockets(opts: ReadSocketsOptions = {}): Promise<SocketRead> {
  const t0 = performance.now();
  const from = opts.procOnly ? 'proc' : (opts.from ?? 'sock_diag');
  const reasons: string[] = [];
  for (const source of CHAIN.slice(CHAIN.indexOf(from))) {
    const r =
      source === 'sock_diag'
        ? await viaSockdiag(opts.sockdiag ?? sockdiagPath(), opts.signal)
        : source === 'ss'
          ? await viaSs(opts.ss ?? 'ss', opts.signal)
          : readProcSockets(createProcSource(defaultRoots(opts.procRoot ? { procRoot: opts.procRoot } : {}))).sockets;
    if (typeof r === 'string') {
      reasons.push(r);
      continue;
    }
    if (from !== 'sock_diag' && reasons.length === 0) reasons.push(`asked for ${from}`);
    return { sockets: r, source, fallbackReason: reasons.length > 0 ? reasons.join('; ') : null, readMs: performance.now() - t0 };
  }
  throw new Error('unreachable: the /proc reader does not fail');
}

import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The only door to /proc for the audit. Both roots are injectable so tests
 * can point the audit at a fake tree; /proc/sys is a separate root because
 * a test (or a container with a bind-mounted sysctl tree) may move it alone.
 */
export interface ProcRoots {
  procRoot: string;
  sysctlRoot: string;
}

export type ReadFailure = 'missing' | 'denied' | 'error';

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: ReadFailure; message: string };

export interface ProcSource {
  roots: ProcRoots;
  read(relPath: string): ReadOutcome;
  /** The file's lines, one call each, read in chunks (optional: fakes may offer read() alone). */
  readLines?(relPath: string, onLine: (line: string) => void): { ok: true } | Extract<ReadOutcome, { ok: false }>;
  /** `net.ipv4.tcp_keepalive_time` → <sysctlRoot>/net/ipv4/tcp_keepalive_time, trimmed. */
  sysctl(name: string): ReadOutcome;
  /** False when the file has no write bit at all: e.g. nf_conntrack_max outside the initial netns. */
  sysctlWritable(name: string): boolean | null;
  listDir(relPath: string): string[] | null;
  /** Entries of a sysctl directory, e.g. `net.netfilter`. */
  listSysctlDir(name: string): string[] | null;
  readLink(relPath: string): string | null;
}

export function defaultRoots(overrides: Partial<ProcRoots> = {}): ProcRoots {
  const procRoot = overrides.procRoot ?? '/proc';
  return { procRoot, sysctlRoot: overrides.sysctlRoot ?? join(procRoot, 'sys') };
}

export function sysctlPath(name: string): string {
  return name.split('.').join('/');
}

export function createProcSource(roots: ProcRoots): ProcSource {
  const readAt = (path: string): ReadOutcome => {
    try {
      return { ok: true, text: readFileSync(path, 'utf8') };
    } catch (err) {
      return failure(err);
    }
  };
  return {
    roots,
    read: (rel) => readAt(join(roots.procRoot, rel)),
    readLines: (rel, onLine) => {
      try {
        forEachLine(join(roots.procRoot, rel), onLine);
        return { ok: true };
      } catch (err) {
        return failure(err) as Extract<ReadOutcome, { ok: false }>;
      }
    },
    sysctl: (name) => {
      const r = readAt(join(roots.sysctlRoot, sysctlPath(name)));
      return r.ok ? { ok: true, text: r.text.trim() } : r;
    },
    sysctlWritable: (name) => {
      try {
        return (statSync(join(roots.sysctlRoot, sysctlPath(name))).mode & 0o222) !== 0;
      } catch {
        return null;
      }
    },
    listDir: (rel) => listAt(join(roots.procRoot, rel)),
    listSysctlDir: (name) => listAt(join(roots.sysctlRoot, sysctlPath(name))),
    readLink: (rel) => {
      try {
        return readlinkSync(join(roots.procRoot, rel));
      } catch {
        return null;
      }
    },
  };
}

/** 1 MiB at a time: /proc/net/tcp is generated as it is read, and at 10^6 sockets it is 150 MB. */
const CHUNK_BYTES = 1 << 20;

export function forEachLine(path: string, onLine: (line: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let partial = '';
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      // /proc/net/tcp is ASCII: a chunk boundary never splits a character.
      const text = partial + buf.toString('latin1', 0, n);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        onLine(text.slice(start, nl));
        start = nl + 1;
      }
      partial = text.slice(start);
    }
    if (partial !== '') onLine(partial);
  } finally {
    closeSync(fd);
  }
}

function listAt(path: string): string[] | null {
  try {
    return readdirSync(path);
  } catch {
    return null;
  }
}

function failure(err: unknown): ReadOutcome {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, reason: 'missing', message };
  if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: 'denied', message };
  return { ok: false, reason: 'error', message };
}

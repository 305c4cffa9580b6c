import { createProcSource, defaultRoots, type ProcSource } from './proc-source.js';
import type { SocketInfo } from './socket-types.js';

export interface SocketOwner {
  pid: number;
  process: string;
  /** The descriptor the owner holds it by. */
  fd: number;
}

/** The socket inode a /proc/PID/fd link names ("socket:[12345]"), or null for any other descriptor. */
export function socketInodeOf(link: string | null): number | null {
  const m = link === null ? null : /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/**
 * inode → owning process, from /proc/PID/fd/* links ("socket:[inode]").
 * Other users' fd directories are unreadable without root and are skipped:
 * their sockets simply get no owner. When several processes share a socket
 * (fork), the lowest PID wins, which is usually the parent.
 */
export function socketOwners(inodes: ReadonlySet<number>, source: ProcSource = createProcSource(defaultRoots())): Map<number, SocketOwner> {
  const owners = new Map<number, SocketOwner>();
  if (inodes.size === 0) return owners;
  const pids = (source.listDir('') ?? [])
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    const fds = source.listDir(`${pid}/fd`);
    if (!fds) continue;
    let name: string | null = null;
    for (const fd of fds) {
      const inode = socketInodeOf(source.readLink(`${pid}/fd/${fd}`));
      if (inode === null) continue;
      if (!inodes.has(inode) || owners.has(inode)) continue;
      if (name === null) {
        const comm = source.read(`${pid}/comm`);
        name = comm.ok ? comm.text.trim() : '?';
      }
      owners.set(inode, { pid, process: name, fd: Number(fd) });
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

/**
 * Owners for these sockets only (the ones at risk, or on screen), in place.
 * The socket readers never resolve owners for the whole table: at 190 k
 * sockets `ss -p` spent 25 of its 33 s walking /proc/PID/fd.
 */
export function fillOwners(sockets: readonly SocketInfo[], source?: ProcSource): void {
  const want = new Set<number>();
  for (const s of sockets) if (s.pid === null && s.inode !== 0) want.add(s.inode);
  if (want.size === 0) return;
  const owners = socketOwners(want, source);
  for (const s of sockets) {
    if (s.pid !== null) continue;
    const o = owners.get(s.inode);
    if (!o) continue;
    s.pid = o.pid;
    s.process = o.process;
    s.ownerFd = o.fd;
  }
}

import { createProcSource, defaultRoots, type ProcSource } from './proc-source.js';

export interface SocketOwner {
  pid: number;
  process: string;
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
      const link = source.readLink(`${pid}/fd/${fd}`);
      const m = link ? /^socket:\[(\d+)\]$/.exec(link) : null;
      if (!m) continue;
      const inode = Number(m[1]);
      if (!inodes.has(inode) || owners.has(inode)) continue;
      if (name === null) {
        const comm = source.read(`${pid}/comm`);
        name = comm.ok ? comm.text.trim() : '?';
      }
      owners.set(inode, { pid, process: name });
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

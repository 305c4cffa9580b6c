import { readdirSync, readlinkSync } from 'node:fs';
import { EXIT, UserError } from '../model/errors.js';
import { createProcSource, defaultRoots } from '../sockets/proc-source.js';
import { socketInodeOf } from '../sockets/socket-owners.js';
import { ProcessGoneError } from '../sockets/sockopt-helper.js';
import { readSocketTable, type SocketEntry } from '../sockets/socket-table.js';

/** One TCP socket a process holds: its descriptor and its row in the process's own socket table. */
export interface HeldSocket {
  fd: number;
  entry: SocketEntry;
}

/**
 * The TCP sockets `pid` holds, joined by inode with the socket table of the
 * process's own network namespace (/proc/PID/net/tcp*), so a process in
 * another namespace is seen as it sees itself. A descriptor shared by
 * several fds is listed once (the lowest).
 */
export function processSockets(pid: number, procRoot = '/proc'): HeldSocket[] {
  const fdDir = `${procRoot}/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(fdDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ProcessGoneError(pid);
    if (code === 'EACCES' || code === 'EPERM')
      throw new UserError(`cannot list process ${pid}'s descriptors (${fdDir}): run kad fix as root`, EXIT.noPermission);
    throw err;
  }
  const fdOfInode = new Map<number, number>();
  for (const name of names) {
    let link: string;
    try {
      link = readlinkSync(`${fdDir}/${name}`);
    } catch {
      continue; // closed while we looked
    }
    const inode = socketInodeOf(link);
    if (inode === null) continue;
    const fd = Number(name);
    const had = fdOfInode.get(inode);
    if (had === undefined || fd < had) fdOfInode.set(inode, fd);
  }
  if (fdOfInode.size === 0) return [];
  const table = readSocketTable(createProcSource(defaultRoots({ procRoot: `${procRoot}/${pid}` })), (e) => fdOfInode.has(e.inode));
  const held: HeldSocket[] = [];
  for (const entry of table.entries) held.push({ fd: fdOfInode.get(entry.inode)!, entry });
  return held.sort((a, b) => a.fd - b.fd);
}

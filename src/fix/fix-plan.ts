import { endpointText } from '../util/ip-text.js';
import type { SocketEntry, TcpState } from '../sockets/socket-table.js';
import { applied, sameOptions, type KeepaliveChange, type KeepaliveOptions } from '../sockets/keepalive-options.js';
import type { HeldSocket } from './process-sockets.js';
import type { SocketOptionsResult } from '../sockets/sockopt-helper.js';

/** Which of a process's sockets `kad fix` touches. Listening sockets never. */
export interface FixSelection {
  /** Local or remote port. */
  port?: number;
  /** "addr:port" (IPv6 in brackets): the remote endpoint, or the local one. */
  path?: string;
  /** 'all': every state but LISTEN. */
  state: TcpState | 'all';
  /** Exactly this socket: its local and remote endpoints ("addr:port"). */
  socket?: { local: string; remote: string };
}

export function selectSockets(held: readonly HeldSocket[], sel: FixSelection): HeldSocket[] {
  return held.filter(({ entry: e }) => {
    if (e.state === 'LISTEN') return false;
    if (sel.state !== 'all' && e.state !== sel.state) return false;
    if (sel.port !== undefined && e.local.port !== sel.port && e.remote.port !== sel.port) return false;
    if (sel.path !== undefined && endpointText(e.remote) !== sel.path && endpointText(e.local) !== sel.path) return false;
    if (sel.socket && (endpointText(e.local) !== sel.socket.local || endpointText(e.remote) !== sel.socket.remote)) return false;
    return true;
  });
}

/** A change that names any keepalive timer also turns keepalive on: the timers do nothing without it. */
export function withKeepaliveOn(change: KeepaliveChange): KeepaliveChange {
  const timers = change.idleS !== undefined || change.intervalS !== undefined || change.count !== undefined;
  return timers && change.keepalive === undefined ? { ...change, keepalive: true } : change;
}

export type FixStatus = 'would-change' | 'unchanged' | 'changed' | 'reverted' | 'not-verified' | 'skipped' | 'failed';

export interface FixRow {
  fd: number;
  inode: number;
  local: string;
  remote: string;
  state: TcpState;
  /** The values before (null when they could not be read). */
  before: KeepaliveOptions | null;
  /** The values asked for (dry run) or read back after the change. */
  after: KeepaliveOptions | null;
  status: FixStatus;
  note: string | null;
}

function rowOf(
  s: HeldSocket,
  before: KeepaliveOptions | null,
  after: KeepaliveOptions | null,
  status: FixStatus,
  note: string | null,
): FixRow {
  const e: SocketEntry = s.entry;
  return {
    fd: s.fd,
    inode: e.inode,
    local: endpointText(e.local),
    remote: endpointText(e.remote),
    state: e.state,
    before,
    after,
    status,
    note,
  };
}

/**
 * Rows from kad-sockopt's results. Dry run (`applying` false): what would
 * change. Applied: what the kernel reports now, checked against what was
 * asked; a socket that closed midway is skipped, not failed.
 */
export function fixRows(
  selected: readonly HeldSocket[],
  results: readonly SocketOptionsResult[],
  change: KeepaliveChange,
  applying: boolean,
): FixRow[] {
  const byFd = new Map(results.map((r) => [r.fd, r]));
  return selected.map((s) => {
    const r = byFd.get(s.fd);
    if (!r) return rowOf(s, null, null, 'skipped', 'closed before it could be read');
    if (r.kind === 'skip') return rowOf(s, null, null, 'skipped', r.reason === 'gone' ? 'closed before it could be read' : r.reason);
    if (r.kind === 'error') return rowOf(s, null, null, 'failed', `${r.errno}: ${r.message}`);
    const before = r.before ?? r.now;
    const wanted = applied(before, change);
    if (!applying) return rowOf(s, before, wanted, sameOptions(before, wanted) ? 'unchanged' : 'would-change', null);
    if (!sameOptions(r.now, wanted)) return rowOf(s, before, r.now, 'failed', 'the kernel reports other values than those set');
    return rowOf(s, before, r.now, sameOptions(before, r.now) ? 'unchanged' : 'changed', null);
  });
}

import { readFileSync } from 'node:fs';
import { changeLogOf, readChangeLog, writeChangeLog } from './change-log.js';
import { fixRows, selectSockets, withKeepaliveOn, type FixRow, type FixSelection } from './fix-plan.js';
import type { KeepaliveChange, KeepaliveOptions } from '../sockets/keepalive-options.js';
import { processSockets, type HeldSocket } from './process-sockets.js';
import { socketOptions } from '../sockets/sockopt-helper.js';

export interface FixReport {
  pid: number;
  process: string | null;
  mode: 'dry-run' | 'apply' | 'revert';
  change: KeepaliveChange;
  rows: FixRow[];
  /** Where --apply wrote what it changed (null: nothing changed, or not applying). */
  changeLog: string | null;
}

export interface FixRequest {
  pid: number;
  selection: FixSelection;
  change: KeepaliveChange;
  apply: boolean;
  /** --changes FILE; default kad-fix-PID-TIME.json in the working directory. */
  changesFile?: string;
  procRoot?: string;
}

function processName(pid: number, procRoot: string): string | null {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The socket table must agree: an established socket with keepalive on has
 * the keepalive timer running (or the retransmission timer, while data is in
 * flight, which takes precedence). A row the table does not confirm is
 * marked, not failed: the options were read back.
 */
function confirmTimers(pid: number, rows: FixRow[], procRoot: string): void {
  const timers = new Map(processSockets(pid, procRoot).map((s) => [s.entry.inode, s.entry.timer]));
  for (const r of rows) {
    if (r.status !== 'changed' || !r.after?.keepalive || r.state !== 'ESTABLISHED') continue;
    const t = timers.get(r.inode);
    if (t === undefined) r.note = 'closed after the change';
    else if (t !== 'keepalive' && t !== 'retransmit' && t !== 'zero-window-probe') {
      r.status = 'not-verified';
      r.note = `the socket table shows timer "${t}", not keepalive`;
    }
  }
}

export function runFix(req: FixRequest): FixReport {
  const procRoot = req.procRoot ?? '/proc';
  const selected = selectSockets(processSockets(req.pid, procRoot), req.selection);
  const change = withKeepaliveOn(req.change);
  const fds = selected.map((s) => s.fd);
  const rows = fixRows(selected, socketOptions(req.pid, fds, req.apply ? change : null), change, req.apply);
  const name = processName(req.pid, procRoot);
  let changeLog: string | null = null;
  if (req.apply) {
    confirmTimers(req.pid, rows, procRoot);
    const log = changeLogOf(req.pid, name, rows, new Date());
    if (log.changes.length > 0) {
      changeLog = req.changesFile ?? `kad-fix-${req.pid}-${log.appliedAt.replace(/[:.]/g, '-')}.json`;
      writeChangeLog(changeLog, log);
    }
  }
  return { pid: req.pid, process: name, mode: req.apply ? 'apply' : 'dry-run', change, rows, changeLog };
}

/** Puts back the values a change log recorded, on the sockets that are still the same sockets. */
export function runRevert(file: string, procRoot = '/proc'): FixReport {
  const log = readChangeLog(file);
  const held = new Map(processSockets(log.pid, procRoot).map((s) => [s.fd, s]));
  const rows: FixRow[] = [];
  // Sockets with the same old values go back in one kad-sockopt run.
  const groups = new Map<string, { before: KeepaliveOptions; sockets: HeldSocket[] }>();
  for (const c of log.changes) {
    const s = held.get(c.fd);
    if (!s || s.entry.inode !== c.inode) {
      rows.push({
        ...c,
        state: s?.entry.state ?? 'CLOSE',
        after: null,
        status: 'skipped',
        note: 'closed since, or the descriptor now holds another socket',
      });
      continue;
    }
    const key = JSON.stringify(c.before);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { before: c.before, sockets: [] }));
    g.sockets.push(s);
  }
  for (const g of groups.values()) {
    const results = socketOptions(
      log.pid,
      g.sockets.map((s) => s.fd),
      g.before,
    );
    for (const r of fixRows(g.sockets, results, g.before, true)) rows.push(r.status === 'changed' ? { ...r, status: 'reverted' } : r);
  }
  rows.sort((a, b) => a.fd - b.fd);
  return { pid: log.pid, process: processName(log.pid, procRoot), mode: 'revert', change: {}, rows, changeLog: null };
}

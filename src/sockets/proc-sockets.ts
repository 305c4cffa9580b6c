/**
 * The fallback when ss is missing: /proc/net/tcp{,6} through the audit's
 * parser. It has no idle clocks (lastsnd/lastrcv); the keepalive timer is
 * `tr` 2 with `tm->when` in USER_HZ ticks, and `timeout` is probes_out.
 */
import { createProcSource, defaultRoots, type ProcSource } from './proc-source.js';
import { readSocketTable, timerMs, type SocketEntry, type SocketTimer as ProcTimer } from './socket-table.js';
import { newSocketInfo } from './socket-info.js';
import type { SocketOwner } from './socket-owners.js';
import { keepaliveState } from './ss-parse.js';
import type { SocketInfo, TimerName } from './socket-types.js';

const TIMER_NAMES: Record<ProcTimer, TimerName> = {
  none: 'off',
  retransmit: 'on',
  keepalive: 'keepalive',
  'time-wait': 'timewait',
  'zero-window-probe': 'persist',
  unknown: 'unknown',
};

export function fromProcEntry(e: SocketEntry, owner: SocketOwner | undefined): SocketInfo {
  const s = newSocketInfo('proc', e.state, { ...e.local }, { ...e.remote });
  const name = TIMER_NAMES[e.timer];
  const expiresMs = timerMs(e);
  s.timer = { name, expiresMs, count: name === 'on' ? e.retransmits : e.probesOut };
  s.keepaliveTimer = name === 'keepalive' && keepaliveState(e.state) ? { state: 'on', nextProbeS: expiresMs / 1000 } : { state: 'off' };
  // The column counts zero-window probes too; only under the keepalive timer are they keepalive probes (as in ss).
  s.probesOut = name === 'keepalive' ? e.probesOut : 0;
  s.inode = e.inode;
  s.uid = e.uid;
  // /proc/net/tcp has tx_queue:rx_queue; ss calls them Send-Q and Recv-Q.
  s.sendQ = e.txQueue;
  s.recvQ = e.rxQueue;
  if (owner) {
    s.pid = owner.pid;
    s.process = owner.process;
  }
  return s;
}

/**
 * Every TCP socket except listeners (as ss shows them without -a). Owners
 * are not resolved here: walking every /proc/PID/fd costs more than the
 * table itself on a busy host; fillOwners() does it for the rows shown.
 */
export function readProcSockets(source: ProcSource = createProcSource(defaultRoots())): { sockets: SocketInfo[]; unreadable: string[] } {
  const table = readSocketTable(source, (e) => e.state !== 'LISTEN');
  const sockets: SocketInfo[] = [];
  for (const e of table.entries) sockets.push(fromProcEntry(e, undefined));
  return {
    sockets,
    unreadable: table.unreadable.map((u) => `${u.file}: ${u.reason}`),
  };
}

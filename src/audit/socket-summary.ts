import { endpointText } from '../util/ip-text.js';
import { isLoopback, type SocketEntry, type TcpState } from '../sockets/socket-table.js';

export interface PortRange {
  low: number;
  high: number;
}

export interface RemoteGroup {
  remote: string;
  total: number;
  established: number;
  timeWait: number;
}

/** Connections from one local address to one remote endpoint: they share one ephemeral port space. */
export interface EphemeralGroup {
  local: string;
  remote: string;
  inUse: number;
  timeWait: number;
  capacity: number;
}

export interface KeepaliveCoverage {
  established: number;
  /** tr=2 on an ESTABLISHED socket: the keepalive timer is armed. */
  keepaliveArmed: number;
  /** tr=0: no timer at all, so SO_KEEPALIVE is off. */
  noTimer: number;
  /** Retransmit or zero-window timer running: it masks the keepalive timer. */
  masked: number;
  /** Non-loopback ESTABLISHED sockets without keepalive, by remote endpoint. */
  remoteWithoutKeepalive: RemoteGroup[];
  remoteWithoutKeepaliveTotal: number;
}

export interface SocketSummary {
  total: number;
  byState: Partial<Record<TcpState, number>>;
  topRemotes: RemoteGroup[];
  ephemeral: {
    range: PortRange | null;
    capacity: number | null;
    busiest: EphemeralGroup[];
  };
  timeWait: number;
  keepalive: KeepaliveCoverage;
}

const TOP = 10;

export function summarizeSockets(entries: SocketEntry[], range: PortRange | null, reservedPorts: Set<number>): SocketSummary {
  const byState: Partial<Record<TcpState, number>> = {};
  for (const e of entries) byState[e.state] = (byState[e.state] ?? 0) + 1;
  const connected = entries.filter((e) => e.state !== 'LISTEN' && e.remote.port !== 0);
  const capacity = range === null ? null : rangeCapacity(range, reservedPorts);
  return {
    total: entries.length,
    byState,
    topRemotes: top(groupByRemote(connected)),
    ephemeral: {
      range,
      capacity,
      busiest: range === null || capacity === null ? [] : ephemeralGroups(entries, connected, range, capacity),
    },
    timeWait: byState.TIME_WAIT ?? 0,
    keepalive: coverage(entries),
  };
}

export function rangeCapacity(range: PortRange, reserved: Set<number>): number {
  let n = range.high - range.low + 1;
  for (const p of reserved) if (p >= range.low && p <= range.high) n--;
  return Math.max(0, n);
}

function groupByRemote(sockets: SocketEntry[]): RemoteGroup[] {
  const groups = new Map<string, RemoteGroup>();
  for (const s of sockets) {
    const key = endpointText(s.remote);
    const g = groups.get(key) ?? { remote: key, total: 0, established: 0, timeWait: 0 };
    g.total++;
    if (s.state === 'ESTABLISHED') g.established++;
    if (s.state === 'TIME_WAIT') g.timeWait++;
    groups.set(key, g);
  }
  return [...groups.values()];
}

function ephemeralGroups(all: SocketEntry[], connected: SocketEntry[], range: PortRange, capacity: number): EphemeralGroup[] {
  // A server listening inside the ephemeral range accepts sockets whose local
  // port is in range too; those were not allocated by connect() and use no port.
  const listening = new Set(all.filter((e) => e.state === 'LISTEN').map((e) => e.local.port));
  const groups = new Map<string, EphemeralGroup>();
  for (const s of connected) {
    if (s.local.port < range.low || s.local.port > range.high || listening.has(s.local.port)) continue;
    const local = s.local.addr;
    const remote = endpointText(s.remote);
    const key = `${local}|${remote}`;
    const g = groups.get(key) ?? { local, remote, inUse: 0, timeWait: 0, capacity };
    g.inUse++;
    if (s.state === 'TIME_WAIT') g.timeWait++;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.inUse - a.inUse).slice(0, TOP);
}

function coverage(entries: SocketEntry[]): KeepaliveCoverage {
  const established = entries.filter((e) => e.state === 'ESTABLISHED');
  const remoteNoKa = established.filter((e) => e.timer === 'none' && !isLoopback(e.remote));
  return {
    established: established.length,
    keepaliveArmed: established.filter((e) => e.timer === 'keepalive').length,
    noTimer: established.filter((e) => e.timer === 'none').length,
    masked: established.filter((e) => e.timer === 'retransmit' || e.timer === 'zero-window-probe').length,
    remoteWithoutKeepalive: top(groupByRemote(remoteNoKa)),
    remoteWithoutKeepaliveTotal: remoteNoKa.length,
  };
}

function top(groups: RemoteGroup[]): RemoteGroup[] {
  return groups.sort((a, b) => b.total - a.total || a.remote.localeCompare(b.remote)).slice(0, TOP);
}

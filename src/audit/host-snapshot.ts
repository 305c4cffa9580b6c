import type { ProcSource, ReadFailure } from '../sockets/proc-source.js';
import { parseNofile, type NofileLimit } from './nofile-limits.js';
import { readSocketTable, type SocketTableRead } from '../sockets/socket-table.js';
import { readKernelCounters, type CounterRead } from '../sockets/kernel-counters.js';
import { listenersFromEntries, type ListenerRead } from '../sockets/listeners.js';

/** Everything the audit rules look at, read once. Rules never touch /proc. */

export const AUDITED_SYSCTLS = [
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_retries2',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_count',
  'net.netfilter.nf_conntrack_buckets',
  'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.netfilter.nf_conntrack_tcp_loose',
  'net.netfilter.nf_conntrack_tcp_be_liberal',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'fs.file-max',
  'fs.file-nr',
  'fs.nr_open',
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_max_tw_buckets',
] as const;

export type AuditedSysctl = (typeof AUDITED_SYSCTLS)[number];

export type SysctlReading = { name: string; value: string } | { name: string; value: null; reason: ReadFailure };

export interface ProcessLimits {
  pid: number;
  nofile: NofileLimit | null;
  openFds: number | null;
}

export interface HostSnapshot {
  sysctls: Record<AuditedSysctl, SysctlReading>;
  /** /proc/sys/net/netfilter only exists once nf_conntrack is loaded. */
  conntrackLoaded: boolean;
  /** Read-only outside the initial network namespace on many kernels. */
  conntrackMaxWritable: boolean | null;
  self: ProcessLimits;
  parent: ProcessLimits;
  sockets: SocketTableRead;
  /** The kernel's TCP counters since boot (since this network namespace was created, in one). */
  counters: CounterRead;
  /** Listening sockets: from kad-sockdiag or ss when the caller read them (backlog known), else from /proc (no backlog). */
  listeners: ListenerRead;
  netns: { self: string | null; init: string | null };
  uid: number | null;
  kernel: string | null;
  hostname: string | null;
}

export interface SnapshotContext {
  pid: number;
  ppid: number;
  uid: number | null;
  /** Listeners read by the caller (async readers: kad-sockdiag, ss); else they come from the /proc socket table. */
  listeners?: ListenerRead;
}

export function takeSnapshot(source: ProcSource, ctx: SnapshotContext): HostSnapshot {
  const sysctls = {} as Record<AuditedSysctl, SysctlReading>;
  for (const name of AUDITED_SYSCTLS) {
    const r = source.sysctl(name);
    sysctls[name] = r.ok ? { name, value: r.text } : { name, value: null, reason: r.reason };
  }
  const netfilterDir = source.listSysctlDir('net.netfilter');
  const text = (rel: string): string | null => {
    const r = source.sysctl(rel);
    return r.ok ? r.text : null;
  };
  const sockets = readSocketTable(source);
  return {
    sysctls,
    conntrackLoaded: netfilterDir !== null && netfilterDir.some((f) => f.startsWith('nf_conntrack_')),
    conntrackMaxWritable: source.sysctlWritable('net.netfilter.nf_conntrack_max'),
    self: processLimits(source, 'self', ctx.pid),
    parent: processLimits(source, String(ctx.ppid), ctx.ppid),
    sockets,
    counters: readKernelCounters(source),
    listeners: ctx.listeners ?? {
      listeners: listenersFromEntries(sockets.entries),
      source: 'proc',
      fallbackReason: 'read from /proc: no backlog',
    },
    netns: { self: source.readLink('self/ns/net'), init: source.readLink('1/ns/net') },
    uid: ctx.uid,
    kernel: text('kernel.osrelease'),
    hostname: text('kernel.hostname'),
  };
}

function processLimits(source: ProcSource, procDir: string, pid: number): ProcessLimits {
  const limits = source.read(`${procDir}/limits`);
  const fds = source.listDir(`${procDir}/fd`);
  return { pid, nofile: limits.ok ? parseNofile(limits.text) : null, openFds: fds === null ? null : fds.length };
}

export function sysctlValue(s: HostSnapshot, name: AuditedSysctl): string | null {
  return s.sysctls[name].value;
}

export function sysctlNumber(s: HostSnapshot, name: AuditedSysctl): number | null {
  const v = s.sysctls[name].value;
  if (v === null) return null;
  const n = Number(v.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

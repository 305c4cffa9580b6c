import { createProcSource, defaultRoots, type ProcRoots } from '../sockets/proc-source.js';
import { takeSnapshot, sysctlValue, AUDITED_SYSCTLS, type HostSnapshot, type ProcessLimits } from './host-snapshot.js';
import { summarizeSockets, type SocketSummary } from './socket-summary.js';
import { LEVEL_ORDER, worstLevel, type Finding, type Level } from './finding.js';
import type { Rule, RuleContext } from './rules/rule-context.js';
import { keepaliveRules } from './rules/keepalive-rules.js';
import { conntrackRules } from './rules/conntrack-rules.js';
import { parsePortRange, parseReservedPorts, portRules } from './rules/port-rules.js';
import { fdRules } from './rules/fd-rules.js';
import { backlogRules } from './rules/backlog-rules.js';
import { timeWaitRules } from './rules/time-wait-rules.js';
import { socketRules } from './rules/socket-rules.js';
import { readabilityRules } from './rules/readability-rules.js';
import { counterRules, listenerRules } from './rules/listen-rules.js';
import type { ListenerRead } from '../sockets/listeners.js';

export interface AuditOptions extends Partial<ProcRoots> {
  /** Whose limits count as "this process"; defaults to the running process. */
  pid?: number;
  ppid?: number;
  uid?: number | null;
  /** Listeners read with their backlog (readListeners); without them the audit has /proc's queue lengths only. */
  listeners?: ListenerRead;
}

export interface AuditReport {
  host: {
    hostname: string | null;
    kernel: string | null;
    uid: number | null;
    root: boolean;
    netns: string | null;
    /** null when PID 1's namespace is not readable (needs root). */
    initialNetns: boolean | null;
    procRoot: string;
    sysctlRoot: string;
  };
  summary: Record<Level, number> & { worst: Level };
  findings: Finding[];
  sockets: SocketSummary;
  sysctls: Record<string, string | null>;
  limits: { self: ProcessLimits; parent: ProcessLimits };
  privileges: string[];
}

const RULES: Rule[] = [
  portRules,
  fdRules,
  conntrackRules,
  keepaliveRules,
  backlogRules,
  listenerRules,
  counterRules,
  timeWaitRules,
  socketRules,
  readabilityRules,
];

export function runAudit(options: AuditOptions = {}): AuditReport {
  const roots = defaultRoots(options);
  const source = createProcSource(roots);
  const uid = options.uid !== undefined ? options.uid : typeof process.getuid === 'function' ? process.getuid() : null;
  const snapshot = takeSnapshot(source, {
    pid: options.pid ?? process.pid,
    ppid: options.ppid ?? process.ppid,
    uid,
    listeners: options.listeners,
  });
  return auditSnapshot(snapshot, roots);
}

export function auditSnapshot(snapshot: HostSnapshot, roots: ProcRoots): AuditReport {
  const portRange = parsePortRange(sysctlValue(snapshot, 'net.ipv4.ip_local_port_range'));
  const reservedPorts = parseReservedPorts(sysctlValue(snapshot, 'net.ipv4.ip_local_reserved_ports'));
  const sockets = summarizeSockets(snapshot.sockets.entries, portRange, reservedPorts);
  const ctx: RuleContext = { snapshot, sockets, portRange, reservedPorts };
  // Stable sort: worst first, rule order within a level.
  const findings = RULES.flatMap((rule) => rule(ctx)).sort((a, b) => LEVEL_ORDER[b.level] - LEVEL_ORDER[a.level]);
  const counts: Record<Level, number> = { ok: 0, info: 0, warn: 0, crit: 0 };
  for (const f of findings) counts[f.level]++;
  const { self, init } = snapshot.netns;
  const sysctls: Record<string, string | null> = {};
  for (const name of AUDITED_SYSCTLS) sysctls[name] = snapshot.sysctls[name].value;
  return {
    host: {
      hostname: snapshot.hostname,
      kernel: snapshot.kernel,
      uid: snapshot.uid,
      root: snapshot.uid === 0,
      netns: self,
      initialNetns: self !== null && init !== null ? self === init : null,
      procRoot: roots.procRoot,
      sysctlRoot: roots.sysctlRoot,
    },
    summary: { ...counts, worst: worstLevel(findings) },
    findings,
    sockets,
    sysctls,
    limits: { self: snapshot.self, parent: snapshot.parent },
    privileges: privilegeNotes(snapshot),
  };
}

function privilegeNotes(s: HostSnapshot): string[] {
  const notes = [
    'Reading needs no root: sysctls, /proc/net/tcp{,6} and /proc/self/limits are world-readable.',
    'Applying the fixes needs root: net.* sysctls need CAP_NET_ADMIN in the network namespace; fs.*, nf_conntrack_max and hashsize need root in the initial namespace; raising a hard nofile limit needs CAP_SYS_RESOURCE.',
  ];
  if (s.uid !== 0) notes.push("Not running as root: other users' processes cannot be mapped to their sockets (/proc/PID/fd).");
  if (s.netns.init === null) {
    notes.push(
      "Could not read /proc/1/ns/net (needs ptrace access to PID 1): whether this is the host's initial network namespace is unknown.",
    );
  }
  if (s.netns.self !== null && s.netns.init !== null && s.netns.self !== s.netns.init) {
    notes.push(
      `Running inside a non-initial network namespace (${s.netns.self}): port range, keepalive, somaxconn and conntrack timeouts are this namespace's own; fs.*, nf_conntrack_max and the hash size are global.`,
    );
  }
  return notes;
}

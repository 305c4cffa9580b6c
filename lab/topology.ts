import { spawnSync } from 'node:child_process';
import { run } from './exec.js';
import type { Cleanup } from './cleanup.js';

/**
 * client ── firewall ── server, one namespace each, joined by veth pairs
 * that are created inside the namespaces so nothing ever appears in (or
 * collides with) the root namespace. Documentation addresses only
 * (RFC 5737, RFC 3849): this lab must never route anywhere real.
 */
export const ADDR = {
  4: { client: '192.0.2.10', fwClientSide: '192.0.2.1', fwServerSide: '198.51.100.1', server: '198.51.100.10', prefix: 24 },
  6: { client: '2001:db8:1::10', fwClientSide: '2001:db8:1::1', fwServerSide: '2001:db8:2::1', server: '2001:db8:2::10', prefix: 64 },
} as const;

/** Interface names live inside their own namespaces, so they can be fixed. */
export const IFACE = { client: 'kad-c', fwClientSide: 'kad-fc', fwServerSide: 'kad-fs', server: 'kad-s' } as const;

export type Host = 'client' | 'firewall' | 'server';

export interface Topology {
  /** Common prefix of this run's namespace names. */
  prefix: string;
  ns: Record<Host, string>;
}

let runSeq = 0;

/**
 * Unique per process and per run, so parallel labs (and reruns) never clash.
 * Every namespace, work directory and process of a run carries it.
 */
export function newLabPrefix(): string {
  runSeq += 1;
  return `kad-${process.pid}-${runSeq}`;
}

function ip(ns: string, ...args: string[]): Promise<unknown> {
  return run('ip', ['-n', ns, ...args]);
}

/** Sets sysctls inside one namespace (`name=value` each); namespaced ones affect that namespace only. */
export async function sysctl(ns: string, ...settings: string[]): Promise<void> {
  await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings]);
}

export async function createTopology(prefix: string, cleanup: Cleanup): Promise<Topology> {
  const ns: Record<Host, string> = { client: `${prefix}-cli`, firewall: `${prefix}-fw`, server: `${prefix}-srv` };
  for (const name of Object.values(ns)) {
    await run('ip', ['netns', 'add', name]);
    cleanup.add(
      `delete namespace ${name}`,
      async () => void (await run('ip', ['netns', 'del', name])),
      () => void spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' }),
    );
    await ip(name, 'link', 'set', 'lo', 'up');
    // Before the veths exist, so they inherit it: while DAD runs (~1 s) a new
    // interface's link-local address is tentative, neighbour discovery
    // stalls, and the first SYN is held back and then delivered twice.
    await sysctl(name, 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
  }
  await ip(ns.client, 'link', 'add', IFACE.client, 'type', 'veth', 'peer', 'name', IFACE.fwClientSide, 'netns', ns.firewall);
  await ip(ns.server, 'link', 'add', IFACE.server, 'type', 'veth', 'peer', 'name', IFACE.fwServerSide, 'netns', ns.firewall);

  // Both families on every run; a scenario picks one by the address it dials.
  const links: Array<[string, string, 'client' | 'fwClientSide' | 'fwServerSide' | 'server']> = [
    [ns.client, IFACE.client, 'client'],
    [ns.firewall, IFACE.fwClientSide, 'fwClientSide'],
    [ns.firewall, IFACE.fwServerSide, 'fwServerSide'],
    [ns.server, IFACE.server, 'server'],
  ];
  for (const [name, dev, role] of links) {
    await ip(name, 'addr', 'add', `${ADDR[4][role]}/${ADDR[4].prefix}`, 'dev', dev);
    await ip(name, 'addr', 'add', `${ADDR[6][role]}/${ADDR[6].prefix}`, 'dev', dev, 'nodad');
    await ip(name, 'link', 'set', dev, 'up');
  }
  await ip(ns.client, 'route', 'add', 'default', 'via', ADDR[4].fwClientSide);
  await ip(ns.client, '-6', 'route', 'add', 'default', 'via', ADDR[6].fwClientSide);
  await ip(ns.server, 'route', 'add', 'default', 'via', ADDR[4].fwServerSide);
  await ip(ns.server, '-6', 'route', 'add', 'default', 'via', ADDR[6].fwServerSide);
  await sysctl(ns.firewall, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  return { prefix, ns };
}

/** Namespace sysctls that exist only once conntrack is active there (after the ruleset is loaded). */
export async function setConntrack(topo: Topology, establishedTimeoutS: number): Promise<void> {
  await sysctl(
    topo.ns.firewall,
    `net.netfilter.nf_conntrack_tcp_timeout_established=${establishedTimeoutS}`,
    // 0: a mid-stream segment of a forgotten flow is INVALID instead of silently re-creating the entry.
    'net.netfilter.nf_conntrack_tcp_loose=0',
  );
}

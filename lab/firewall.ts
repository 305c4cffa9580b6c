import { run } from './exec.js';
import { IFACE, setConntrack, type Topology } from './topology.js';

export type FirewallAction = 'reject' | 'drop';

export interface FirewallConfig {
  /** nf_conntrack_tcp_timeout_established, seconds: how long an idle flow is remembered. */
  idleTimeoutS: number;
  /** What happens to a non-SYN segment of a flow conntrack no longer knows. */
  action: FirewallAction;
  /** Masquerade client traffic behind the firewall's server-side address. */
  nat: boolean;
  /** A scenario's own rules (set-up scenarios: lost SYNs, a black hole), ahead of the stateful ones. */
  extra?: ExtraRules;
}

/**
 * Rules in `raw` run before conntrack: a packet dropped there never reaches
 * it, so the firewall's state stays what the endpoints' is (a RST the server
 * never got must not close the flow here either). Rules in `forward` run
 * after conntrack, first in the forward chain. Each named counter in
 * `counters` can be used as `counter name "NAME"` and read with
 * firewallCounter.
 */
export interface ExtraRules {
  raw?: string[];
  forward?: string[];
  counters?: string[];
}

export type ExtraChain = 'raw' | 'forward';

/** Masquerade ports, chosen outside Linux's ephemeral range so NAT visibly changes the port too. */
export const NAT_PORTS = '20000-29999';

const TABLE = 'kad';
const COUNTER = 'stale';

export function ruleset(cfg: FirewallConfig): string {
  const verdict = cfg.action === 'reject' ? 'reject with tcp reset' : 'drop';
  const nat = cfg.nat
    ? `
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    meta nfproto ipv4 meta l4proto tcp oifname "${IFACE.fwServerSide}" masquerade to :${NAT_PORTS}
  }`
    : '';
  const extra = cfg.extra ?? {};
  const counters = (extra.counters ?? []).map((c) => `\n  counter ${c} {}`).join('');
  const lines = (rules: string[] | undefined): string => (rules ?? []).map((r) => `\n    ${r}`).join('');
  // The counter sits on the stale-flow rule only, so it counts exactly the
  // packets the firewall answered with a forged RST (or swallowed).
  return `table inet ${TABLE} {
  counter ${COUNTER} {}${counters}
  chain raw {
    type filter hook prerouting priority raw; policy accept;${lines(extra.raw)}
  }
  chain forward {
    type filter hook forward priority filter; policy drop;${lines(extra.forward)}
    ct state established,related accept
    ct state new tcp flags & (fin|syn|rst|ack) == syn accept
    meta l4proto tcp counter name "${COUNTER}" ${verdict}
  }${nat}
}
`;
}

export async function applyFirewall(topo: Topology, cfg: FirewallConfig): Promise<void> {
  await run('ip', ['netns', 'exec', topo.ns.firewall, 'nft', '-f', '-'], ruleset(cfg));
  await setConntrack(topo, cfg.idleTimeoutS);
}

/** Packets that hit the stale-flow rule so far. */
export function staleFlowPackets(topo: Topology): Promise<number> {
  return firewallCounter(topo, COUNTER);
}

/** Packets counted so far by one of the table's named counters. */
export async function firewallCounter(topo: Topology, name: string): Promise<number> {
  const { stdout } = await run('ip', ['netns', 'exec', topo.ns.firewall, 'nft', '-j', 'list', 'counter', 'inet', TABLE, name]);
  const doc = JSON.parse(stdout) as { nftables: Array<{ counter?: { packets: number } }> };
  const entry = doc.nftables.find((e) => e.counter);
  if (!entry?.counter) throw new Error(`no counter ${name} in: ${stdout.slice(0, 200)}`);
  return entry.counter.packets;
}

/** Adds a rule at the top of a chain while the scenario runs (a path that starts losing packets). */
export async function insertFirewallRule(topo: Topology, chain: ExtraChain, rule: string): Promise<void> {
  await run('ip', ['netns', 'exec', topo.ns.firewall, 'nft', `insert rule inet ${TABLE} ${chain} ${rule}`]);
}

/** Removes every rule of the raw chain (the forward chain holds the firewall's own rules too). */
export async function flushRawChain(topo: Topology): Promise<void> {
  await run('ip', ['netns', 'exec', topo.ns.firewall, 'nft', `flush chain inet ${TABLE} raw`]);
}

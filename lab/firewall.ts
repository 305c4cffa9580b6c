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
  /** nftables synproxy answers the client's handshake itself (IPv4), as a SYN proxy or L4 front end does. */
  synproxy?: boolean;
  /** TTL the firewall's own RSTs leave with (`ip ttl set` in its output hook): a forgery that passes for an endpoint's hop count. */
  forgedTtl?: number;
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
const RST_COUNTER = 'stale-rst';
/** The synproxy's own options: what the client is told in the SYN-ACK the firewall sends for the server. */
const SYNPROXY = 'synproxy mss 1460 wscale 7 timestamp sack-perm';

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
  // packets the firewall answered with a forged RST (or swallowed). A RST of a
  // forgotten flow is never answered (reject sends no RST for a RST), only
  // dropped: it has its own counter, so the first one stays exact.
  return `table inet ${TABLE} {
  counter ${COUNTER} {}
  counter ${RST_COUNTER} {}${counters}
  chain raw {
    type filter hook prerouting priority raw; policy accept;${lines(extra.raw)}${cfg.synproxy ? synproxyRaw : ''}
  }
  chain forward {
    type filter hook forward priority filter; policy drop;${lines(extra.forward)}
    ct state established,related accept${cfg.synproxy ? synproxyForward : ''}
    ct state new tcp flags & (fin|syn|rst|ack) == syn accept
    tcp flags rst counter name "${RST_COUNTER}" drop
    meta l4proto tcp counter name "${COUNTER}" ${verdict}
  }${nat}${cfg.forgedTtl === undefined ? '' : forgedTtlOutput(cfg.forgedTtl)}
}
`;
}

// The client's SYNs skip conntrack, so synproxy (not the server) answers them with a cookie.
const synproxyRaw = `
    iifname "${IFACE.fwClientSide}" tcp flags & (fin|syn|rst|ack) == syn notrack`;

// Then the client's ACK with the cookie (invalid: conntrack has no flow for it, tcp_loose is 0) makes
// synproxy open the connection to the server. Only a pure ACK with the timestamps option (52 bytes)
// can be that ACK: a data segment of a forgotten flow must reach the stale-flow rule, not synproxy,
// which would take it for a late cookie and open a second connection to the server.
const synproxyForward = `
    iifname "${IFACE.fwClientSide}" ct state untracked tcp flags & (fin|syn|rst|ack) == syn ${SYNPROXY}
    iifname "${IFACE.fwClientSide}" ct state invalid tcp flags & (fin|syn|rst|ack) == ack ip length 52 ${SYNPROXY}`;

function forgedTtlOutput(ttl: number): string {
  return `
  chain output {
    type filter hook output priority filter; policy accept;
    tcp flags rst ip ttl set ${ttl}
    tcp flags rst ip6 hoplimit set ${ttl}
  }`;
}

export async function applyFirewall(topo: Topology, cfg: FirewallConfig): Promise<void> {
  await run('ip', ['netns', 'exec', topo.ns.firewall, 'nft', '-f', '-'], ruleset(cfg));
  await setConntrack(topo, cfg.idleTimeoutS);
}

/** Packets that hit the stale-flow rule so far. */
export function staleFlowPackets(topo: Topology): Promise<number> {
  return firewallCounter(topo, COUNTER);
}

/** RSTs of forgotten flows the firewall dropped so far. */
export function staleRstPackets(topo: Topology): Promise<number> {
  return firewallCounter(topo, RST_COUNTER);
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

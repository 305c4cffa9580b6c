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
}

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
  // The counter sits on the stale-flow rule only, so it counts exactly the
  // packets the firewall answered with a forged RST (or swallowed).
  return `table inet ${TABLE} {
  counter ${COUNTER} {}
  chain forward {
    type filter hook forward priority filter; policy drop;
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
export async function staleFlowPackets(topo: Topology): Promise<number> {
  const { stdout } = await run('ip', ['netns', 'exec', topo.ns.firewall, 'nft', '-j', 'list', 'counter', 'inet', TABLE, COUNTER]);
  const doc = JSON.parse(stdout) as { nftables: Array<{ counter?: { packets: number } }> };
  const entry = doc.nftables.find((e) => e.counter);
  if (!entry?.counter) throw new Error(`no counter ${COUNTER} in: ${stdout.slice(0, 200)}`);
  return entry.counter.packets;
}

/**
 * Idle timeouts of the middleboxes a long-lived TCP connection commonly
 * crosses, with where each number comes from. Values and sources are taken
 * from shared/reference/middlebox-and-keepalive-facts.md §2; `evidence`
 * carries that document's [V]/[U] tags forward so the output never presents
 * a remembered number as a documented one.
 */

/** L4 boxes track the TCP flow, so keepalive probes refresh them. L7 proxies terminate TCP: only payload bytes count. */
export type Layer = 'L4' | 'L7';

export type ExpiryBehaviour =
  /** Forgets the flow; answers the next packet of it with a RST. */
  | 'reset-on-next-packet'
  /** Sends RSTs to both ends exactly when the timer runs out. */
  | 'reset-at-timeout'
  /** Forgets the flow; later packets vanish, the sender retransmits until ETIMEDOUT. */
  | 'silent-drop'
  /** A proxy closing its own client/server connections. */
  | 'closes-connection'
  | 'not-documented';

/** verified: read in a primary source; secondhand: quoted by someone else; unverified: from memory, check before relying on it. */
export type Evidence = 'verified' | 'secondhand' | 'unverified';

export interface MiddleboxPreset {
  id: string;
  name: string;
  /** Default established-flow idle timeout; null when the product has no default. */
  idleTimeoutS: number | null;
  configurable: string | null;
  layer: Layer;
  expiry: ExpiryBehaviour;
  source: string;
  evidence: Evidence;
  note: string | null;
}

export const PRESETS: readonly MiddleboxPreset[] = [
  {
    id: 'aws-nat-gateway',
    name: 'AWS NAT Gateway',
    idleTimeoutS: 350,
    configurable: null,
    layer: 'L4',
    expiry: 'reset-on-next-packet',
    source:
      'awsdocs/amazon-vpc-user-guide nat-gateway-troubleshooting.md; docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-comparison.html',
    evidence: 'verified',
    note: 'AWS: "enable TCP keepalive on the instance with a value less than 350 seconds".',
  },
  {
    id: 'aws-nlb',
    name: 'AWS Network Load Balancer (TCP)',
    idleTimeoutS: 350,
    configurable: '60–6000 s; TLS listeners fixed at 350 s',
    layer: 'L4',
    expiry: 'reset-on-next-packet',
    source: 'docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html',
    evidence: 'verified',
    note: null,
  },
  {
    id: 'aws-gwlb',
    name: 'AWS Gateway Load Balancer',
    idleTimeoutS: 350,
    configurable: '60–6000 s',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'docs.aws.amazon.com/elasticloadbalancing/latest/gateway/update-idle-timeout.html',
    evidence: 'verified',
    note: null,
  },
  {
    id: 'aws-network-firewall',
    name: 'AWS Network Firewall',
    idleTimeoutS: 350,
    configurable: '60–6000 s (FlowTimeouts.TcpIdleTimeoutSeconds)',
    layer: 'L4',
    expiry: 'silent-drop',
    source: 'AWS Network Firewall API reference, API_FlowTimeouts ("data packets are dropped")',
    evidence: 'verified',
    note: 'Keepalive probes refresh the flow entry.',
  },
  {
    id: 'aws-alb',
    name: 'AWS Application Load Balancer',
    idleTimeoutS: 60,
    configurable: 'idle_timeout.timeout_seconds',
    layer: 'L7',
    expiry: 'closes-connection',
    source: 'docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html; pulumi aws.lb.LoadBalancer idleTimeout doc',
    evidence: 'verified',
    note: 'AWS: ALBs "do not support HTTP/2 PING frames. These do not reset the connection idle timeout".',
  },
  {
    id: 'aws-clb',
    name: 'AWS Classic Load Balancer',
    idleTimeoutS: 60,
    configurable: '1–3600 s',
    layer: 'L7',
    expiry: 'closes-connection',
    source: 'docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html',
    evidence: 'verified',
    note: 'AWS: "TCP keep-alive probes do not prevent the load balancer from terminating the connection because they do not send data in the payload".',
  },
  {
    id: 'aws-ec2-conntrack',
    name: 'AWS EC2 security-group connection tracking',
    idleTimeoutS: 432000,
    configurable: '60–432000 s (ConnectionTrackingConfiguration.TcpEstablishedTimeout)',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'EC2 API reference, ConnectionTrackingConfiguration',
    evidence: 'verified',
    note: null,
  },
  {
    id: 'azure-lb',
    name: 'Azure Load Balancer (default: no TCP reset)',
    idleTimeoutS: 240,
    configurable: '4–30 min on rules, 4–100 min on outbound rules',
    layer: 'L4',
    expiry: 'silent-drop',
    source: 'MicrosoftDocs/azure-docs articles/load-balancer/load-balancer-tcp-reset.md',
    evidence: 'verified',
    note: 'Azure: "configure the TCP keep-alive with an interval less than the idle timeout setting".',
  },
  {
    id: 'azure-lb-tcp-reset',
    name: 'Azure Load Balancer with "TCP reset on idle"',
    idleTimeoutS: 240,
    configurable: '4–30 min on rules, 4–100 min on outbound rules',
    layer: 'L4',
    expiry: 'reset-at-timeout',
    source: 'MicrosoftDocs/azure-docs articles/load-balancer/load-balancer-tcp-reset.md',
    evidence: 'verified',
    note: 'Bidirectional RST at the timeout, ESTABLISHED flows only.',
  },
  {
    id: 'azure-nat-gateway',
    name: 'Azure NAT Gateway',
    idleTimeoutS: 240,
    configurable: '4–120 min',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'MicrosoftDocs/azure-docs NAT gateway resource article',
    evidence: 'verified',
    note: 'Keepalives "appear as duplicate ACKs" and refresh the flow; raising the timeout is a "last resort" (SNAT port exhaustion).',
  },
  {
    id: 'gcp-firewall',
    name: 'Google Cloud VPC firewall',
    idleTimeoutS: 600,
    configurable: null,
    layer: 'L4',
    expiry: 'silent-drop',
    source: 'cloud.google.com/compute/docs/troubleshooting/general-tips, quoted in gitlab-org/charts/gitlab#2519',
    evidence: 'secondhand',
    note: 'After 10 min idle the implied deny-ingress rule applies. Google suggests keepalive "less than 600 seconds".',
  },
  {
    id: 'gcp-cloud-nat',
    name: 'Google Cloud NAT',
    idleTimeoutS: 1200,
    configurable: 'tcpEstablishedIdleTimeoutSec',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'Compute Engine API reference, RouterNat.tcpEstablishedIdleTimeoutSec',
    evidence: 'verified',
    note: 'Transitory connections 30 s, TIME_WAIT 120 s.',
  },
  {
    id: 'cisco-asa',
    name: 'Cisco ASA',
    idleTimeoutS: 3600,
    configurable: 'timeout conn',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'shipped configurations ("timeout conn 1:00:00"); official configuration guide not checked',
    evidence: 'secondhand',
    note: 'Half-closed connections: 10 min.',
  },
  {
    id: 'palo-alto',
    name: 'Palo Alto Networks PAN-OS',
    idleTimeoutS: 3600,
    configurable: 'session timeouts per application/service',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'docs.paloaltonetworks.com, "Configure Session Timeouts"',
    evidence: 'verified',
    note: 'Discard-TCP timeout 90 s.',
  },
  {
    id: 'check-point',
    name: 'Check Point',
    idleTimeoutS: 3600,
    configurable: 'TCP session timeout',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'ipv4security.com tcp_timeout.txt',
    evidence: 'secondhand',
    note: null,
  },
  {
    id: 'juniper-srx',
    name: 'Juniper SRX',
    idleTimeoutS: 1800,
    configurable: 'application inactivity-timeout',
    layer: 'L4',
    expiry: 'not-documented',
    source: '"vty fwdd show usp app-def" dump (pastebin kBz4eZb9): junos-tcp-any 1800 s',
    evidence: 'secondhand',
    note: 'junos-telnet uses 28800 s.',
  },
  {
    id: 'fortigate',
    name: 'Fortinet FortiGate',
    idleTimeoutS: 3600,
    configurable: 'config system session-ttl',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'FortiOS CLI reference and a Pulumi example; that 3600 is the default is not confirmed',
    evidence: 'unverified',
    note: null,
  },
  {
    id: 'huawei-usg',
    name: 'Huawei USG',
    idleTimeoutS: 1200,
    configurable: 'firewall session aging-time',
    layer: 'L4',
    expiry: 'not-documented',
    source: '"display firewall session aging-time" output: tcp 1200 s',
    evidence: 'secondhand',
    note: null,
  },
  {
    id: 'f5-bigip',
    name: 'F5 BIG-IP (tcp and fastL4 profiles)',
    idleTimeoutS: 300,
    configurable: 'profile idle-timeout',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'not checked against F5 documentation (from memory)',
    evidence: 'unverified',
    note: 'Full-proxy (tcp profile) virtual servers terminate TCP; keepalives then only reach the BIG-IP.',
  },
  {
    id: 'cisco-ios-nat',
    name: 'Cisco IOS NAT',
    idleTimeoutS: 86400,
    configurable: 'ip nat translation tcp-timeout',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'not checked against Cisco documentation (from memory)',
    evidence: 'unverified',
    note: null,
  },
  {
    id: 'nginx',
    name: 'nginx (proxy_read_timeout)',
    idleTimeoutS: 60,
    configurable: 'proxy_read_timeout; client side keepalive_timeout 75 s',
    layer: 'L7',
    expiry: 'closes-connection',
    source: 'nginx documentation defaults, not checked here (from memory)',
    evidence: 'unverified',
    note: null,
  },
  {
    id: 'haproxy',
    name: 'HAProxy',
    idleTimeoutS: null,
    configurable: 'timeout client / timeout server / timeout tunnel',
    layer: 'L7',
    expiry: 'closes-connection',
    source: 'HAProxy configuration manual: no default, the timeouts must be set (not checked here)',
    evidence: 'unverified',
    note: 'Pass your configured timeout with --idle-timeout to size the keepalive of the L4 hops.',
  },
  {
    id: 'linux-conntrack',
    name: 'Linux conntrack (nf_conntrack_tcp_timeout_established)',
    idleTimeoutS: 432000,
    configurable: 'net.netfilter.nf_conntrack_tcp_timeout_established (per network namespace)',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'torvalds/linux Documentation/networking/nf_conntrack-sysctl.rst',
    evidence: 'verified',
    note: 'What happens at expiry depends on the ruleset and nf_conntrack_tcp_loose (kad audit reads both).',
  },
  {
    id: 'kube-proxy',
    name: 'kube-proxy (iptables/nftables mode)',
    idleTimeoutS: 86400,
    configurable: '--conntrack-tcp-timeout-established',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'kube-proxy command-line reference; kubernetes PR #35919',
    evidence: 'verified',
    note: 'close-wait timeout 1 h.',
  },
  {
    id: 'kube-proxy-ipvs',
    name: 'kube-proxy IPVS mode',
    idleTimeoutS: 900,
    configurable: 'ipvsadm --set / --ipvs-tcp-timeout',
    layer: 'L4',
    expiry: 'not-documented',
    source: 'kube-proxy flag docs; easzlab/kubeasz#688 (ipvsadm --timeout tcp 900)',
    evidence: 'verified',
    note: null,
  },
  {
    id: 'rfc5382-minimum',
    name: 'Any NAT that follows RFC 5382 (minimum allowed)',
    idleTimeoutS: 7440,
    configurable: null,
    layer: 'L4',
    expiry: 'not-documented',
    source: 'RFC 5382 §5 REQ-5: established idle-timeout "MUST NOT be less than 2 hours 4 minutes"',
    evidence: 'verified',
    note: 'Home gateways measured in the field often violate this (Hätönen et al., IMC 2010).',
  },
];

export function findPreset(id: string): MiddleboxPreset | undefined {
  return PRESETS.find((p) => p.id === id.trim().toLowerCase());
}

/**
 * The shortest default idle timeout a path is likely to meet when nothing
 * is known about it: the least default among L4 boxes (they forget flows
 * that carry no packets, so keepalive matters there) whose default is read
 * in a primary source. L7 proxies are left out (they count payload only,
 * and keepalive cannot help), and so are remembered numbers. Today this is
 * Azure's Load Balancer and NAT Gateway, 240 s; AWS's boxes follow at 350 s.
 */
export function shortestCommonDefault(presets: readonly MiddleboxPreset[] = PRESETS): { timeoutS: number; ids: string[] } {
  const common = presets.filter((p) => p.layer === 'L4' && p.evidence === 'verified' && p.idleTimeoutS !== null);
  let timeoutS = Infinity;
  for (const p of common) timeoutS = Math.min(timeoutS, p.idleTimeoutS!);
  return { timeoutS, ids: common.filter((p) => p.idleTimeoutS === timeoutS).map((p) => p.id) };
}

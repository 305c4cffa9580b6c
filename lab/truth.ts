/**
 * Ground truth of one lab run, written next to its captures as
 * `<scenario>.truth.json`. Every fact here comes from what the lab configured
 * and what its own endpoints reported, never from analysing the captures, so
 * the captures can be used to test an analyzer against it.
 */
import type { AddrPort } from './endpoint-protocol.js';
import type { FirewallAction } from './firewall.js';
import type { SetupTruth } from './setup/setup-truth.js';

export const TRUTH_SCHEMA = 'kad-lab-truth/1';

/** The two capture points: the client's veth (in the client namespace) and the server's. */
export type Edge = 'client' | 'server';
/** The two endpoints of a connection: the SYN sender and the listener. */
export type Side = 'client' | 'server';

/**
 * How a connection ended. At an edge this is what its packets show
 * (`timeout` never appears there: giving up is silent or shows as a RST).
 */
export type Ending = 'reset' | 'fin' | 'open' | 'timeout';

/**
 * middlebox:   forged by the firewall, carrying an endpoint's address.
 * peer:        sent by the endpoint whose address it carries, to the other one
 *              (an application abort, or the host answering for a socket it no longer has).
 * local-stack: sent by the kernel of the endpoint whose address it carries,
 *              on its own (e.g. keepalive gave up); it never reached the peer.
 */
export type RstSender = 'middlebox' | 'peer' | 'local-stack';

/** What provoked it: a keepalive probe, a data segment, or nothing on the wire. */
export type Trigger = 'keepalive' | 'data' | 'none';

export interface KeepaliveSetting {
  /** TCP_KEEPIDLE actually set on the socket, seconds. */
  idleS: number;
  /** TCP_KEEPINTVL actually in effect (libuv fixes it at 1 s). */
  intervalS: number;
  /** TCP_KEEPCNT actually in effect (libuv fixes it at 10). */
  probes: number;
  /** Where the idle value came from. */
  source: string;
  /** The setting `kad recommend` proposed, when it was asked. */
  recommended?: { timeS: number; intervalS: number; probes: number } | null;
}

export interface EdgeView {
  /** Capture file name, relative to the truth file. */
  capture: string;
  /** The connection's endpoints as addressed in this capture (NAT rewrites one edge). */
  client: AddrPort;
  server: AddrPort;
  ended: Exclude<Ending, 'timeout'>;
  /** Whose address the ending FIN/RST carries in this capture (the first FIN for 'fin'); null when open. */
  endedBy: Side | null;
}

export interface ResetTruth {
  sentBy: RstSender;
  /** Namespace whose kernel put the RST on the wire. */
  host: 'client' | 'firewall' | 'server';
  /** Endpoint whose address and port the RST carries. */
  from: Side;
  to: Side;
  /** Captures that contain it. */
  seenAt: Edge[];
  trigger: Trigger;
  /** Seconds the connection had been idle when the trigger (or, for 'none', the RST) happened. */
  idleBeforeTriggerS: number;
}

/** A segment that reached the firewall after it had forgotten the flow. */
export interface StaleFlowHit {
  from: Side;
  kind: 'keepalive' | 'data';
  /** Seconds since the last packet of the connection when the first such segment was sent. */
  idleS: number;
  /** reset: answered with a forged RST; dropped: silently discarded (with every retransmission). */
  fate: 'reset' | 'dropped';
  /** How many such segments (probes or transmissions) the sender put on the wire; null when timing decides. */
  segments: number | null;
  /** Payload bytes of the segment (0 for a keepalive probe); they never reached the other side. */
  bytes: number;
}

export interface IdlePeriod {
  idleS: number;
  /** Data went both ways right after the idle period (the connection was still usable). */
  exchangedAfter: boolean;
}

export interface AppOutcome {
  /** The socket error the application got (ECONNRESET, ETIMEDOUT), or null. */
  error: string | null;
  /** The application saw the socket close. */
  closed: boolean;
  /** Payload bytes the application wrote and read. */
  bytesWritten: number;
  bytesRead: number;
}

export interface ConnectionTruth {
  id: number;
  /** How the connection really ended, for its endpoints. */
  ended: Ending;
  /** What provoked the end (the first stale-flow hit, the data that met a dead socket, ...). */
  trigger: Trigger;
  idleBeforeTriggerS: number | null;
  edges: Record<Edge, EdgeView>;
  resets: ResetTruth[];
  staleFlowHits: StaleFlowHit[];
  idlePeriods: IdlePeriod[];
  apps: Record<Side, AppOutcome>;
}

export interface LabTruth {
  schema: typeof TRUTH_SCHEMA;
  scenario: string;
  summary: string;
  ipVersion: 4 | 6;
  firewall: {
    idleTimeoutS: number;
    action: FirewallAction;
    nat: boolean;
    tcpLoose: 0;
    /** Packets the firewall's stale-flow rule matched (each forged RST or dropped segment). */
    staleFlowPackets: number;
  };
  /**
   * Forwarding hops between the endpoints (the firewall), and the TTL / hop
   * limit every host here sends with (Linux's 64). At an edge, the far
   * endpoint's packets arrive with initialTtl - hops; anything the firewall
   * itself sends arrives with initialTtl.
   */
  path: { hops: number; initialTtl: number };
  keepalive: Record<Side, KeepaliveSetting | null>;
  captures: Record<Edge, string> & { snaplen: number; droppedByKernel: Record<Edge, number | null> };
  startedAt: string;
  durationS: number;
  connections: ConnectionTruth[];
  notes: string[];
  /** Set-up scenarios only (lab/setup/setup-truth.ts). */
  setup?: SetupTruth;
}

/**
 * Ground truth of a set-up scenario (issue 24): which connections the lab
 * opened, what each one's set-up really was at each capture point, and what
 * the kernels and the firewall counted meanwhile. Expectations come from how
 * the lab built the scenario; measurements (counter deltas, listener
 * figures, firewall counters) are what the kernels reported, read by the lab
 * itself, never from the captures.
 */
import type { AddrPort } from '../endpoint-protocol.js';
import type { Edge } from '../truth.js';
import type { SetupFailureKind } from './contract.js';

/** Inclusive bounds; equal for an exact figure. */
export interface Range {
  min: number;
  max: number;
}

/**
 * The verdict a connection must get at an edge: a kind, null for no set-up
 * verdict, 'unseen' when the connection never reached that capture point,
 * or 'any' (with `wrongKinds`) when packets cannot pin it.
 */
export type KindExpectation = SetupFailureKind | null | 'unseen' | 'any';

/** A set of connections that share one expectation (one connection, or a flood's many). */
export interface SetupGroup {
  /** What these connections are, in a few words. */
  role: string;
  client: string;
  /** Client ports; null: every port of `client`. */
  ports: number[] | null;
  server: AddrPort;
  /** Epoch ms: only connections whose first packet is at or after it (a reused 4-tuple's earlier connection is not this one). */
  fromMs: number | null;
  kind: Record<Edge, KindExpectation>;
  /** For 'any': kinds that would be wrong. */
  wrongKinds: SetupFailureKind[];
  /** Per connection, at each edge that sees it. */
  synRetransmissions: Record<Edge, Range | null>;
  synAckRetransmissions: Record<Edge, Range | null>;
  /** The handshake completes in this capture (setupS not null); null: not pinned. */
  completes: Record<Edge, boolean | null>;
  /** Bounds on setupS where the scenario fixes it (retries take whole RTOs). */
  setupS: Record<Edge, Range | null>;
  /** The socket error the client application got (ECONNREFUSED, ETIMEDOUT, ECONNRESET) or null. */
  clientError: string | null;
}

export type Namespace = 'client' | 'server';

/** A listening socket's figures as the kernel reports them (Recv-Q, Send-Q of LISTEN; SYN-RECV sockets). */
export interface ListenerFigures {
  queue: number;
  backlog: number | null;
  synRecv: number;
  /** Which of kad's readers answered (only /proc lacks the backlog). */
  source?: string;
}

export interface SetupTruth {
  /** The failure this scenario stages, as its expected kind (null: set-up succeeds, e.g. after retries); the table's headline. */
  expectedKind: SetupFailureKind | null;
  groups: SetupGroup[];
  /** Sysctls the lab set, per namespace. */
  sysctls: Record<Namespace, string[]>;
  counters: {
    /** Deltas the scenario must cause; a listed counter outside its range fails. */
    expected: Record<Namespace, Record<string, Range>>;
    /** Deltas the kernel reported over the scenario (every TcpExt / Tcp counter that moved). */
    measured: Record<Namespace, Record<string, number>>;
  };
  listener: {
    local: AddrPort;
    /** What the application passed to listen(). */
    requestedBacklog: number;
    somaxconn: number;
    expected: { queue: Range; backlog: number; synRecv: Range };
    /** Read by kad's own listener reader while the scenario's state still held. */
    measured: ListenerFigures | null;
  } | null;
  /** The scenario's own firewall counters: expected packets and what nftables counted. */
  firewall: Record<string, { expected: Range; measured: number }>;
}

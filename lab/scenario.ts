import type { Cleanup } from './cleanup.js';
import type { FirewallConfig } from './firewall.js';
import type { ADDR, Topology } from './topology.js';
import type { SetupTruth } from './setup/setup-truth.js';
import type { ConnectionTruth, Edge, KeepaliveSetting, Side } from './truth.js';

export interface ScenarioContext {
  topo: Topology;
  /** Addresses of the scenario's IP version. */
  addr: (typeof ADDR)[4 | 6];
  cleanup: Cleanup;
  /** Capture file names, as the truth file refers to them. */
  captures: Record<Edge, string>;
}

/** What a scenario's driver knows once it has played its timeline. */
export interface ScenarioResult {
  keepalive: Record<Side, KeepaliveSetting | null>;
  connections: ConnectionTruth[];
  notes: string[];
  /** Set-up scenarios (issue 24): their connections and kernel figures; `connections` is then empty. */
  setup?: SetupTruth;
}

export interface ScenarioSpec {
  name: string;
  summary: string;
  ipVersion: 4 | 6;
  firewall: FirewallConfig;
  drive(ctx: ScenarioContext): Promise<ScenarioResult>;
}

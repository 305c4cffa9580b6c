import type { HostSnapshot } from '../host-snapshot.js';
import type { PortRange, SocketSummary } from '../socket-summary.js';
import type { Finding } from '../finding.js';

export interface RuleContext {
  snapshot: HostSnapshot;
  sockets: SocketSummary;
  portRange: PortRange | null;
  reservedPorts: Set<number>;
}

export type Rule = (ctx: RuleContext) => Finding[];

import { LAB_PORT } from '../../endpoint-protocol.js';
import type { ScenarioContext, ScenarioResult, ScenarioSpec } from '../../scenario.js';
import {
  classicSynBackoff,
  exact,
  failedConnect,
  firewallCounts,
  group,
  setSysctls,
  setupResult,
  startServer,
} from '../../setup/setup-kit.js';

const SYN_RETRIES = 1;
const DROPPED = 'black-hole';

/**
 * The firewall silently drops every SYN to the server's port, though the
 * server listens. With tcp_syn_retries=1 the client's kernel sends its SYN,
 * one retry after 1 s, and gives up 2 s later (ETIMEDOUT): the whole
 * exponential back-off in 3 s instead of the default 127 s.
 */
export const blackHole: ScenarioSpec = {
  name: 'setup-black-hole',
  summary: `The firewall silently drops SYNs to a listening server: the client sends its SYN and ${SYN_RETRIES} retry (tcp_syn_retries=${SYN_RETRIES}) and gives up (ETIMEDOUT); the server never sees them.`,
  ipVersion: 4,
  firewall: {
    idleTimeoutS: 60,
    action: 'drop',
    nat: false,
    extra: { counters: [DROPPED], forward: [`tcp dport ${LAB_PORT} tcp flags & (syn|ack) == syn counter name "${DROPPED}" drop`] },
  },
  drive,
};

async function drive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const sysctls = await setSysctls(ctx, { client: [`net.ipv4.tcp_syn_retries=${SYN_RETRIES}`] });
  sysctls.client = sysctls.client.concat(await classicSynBackoff(ctx.topo.ns.client));
  await startServer(ctx);
  const { error, counters } = await failedConnect(ctx, 'ETIMEDOUT', 6000);
  const g = group(ctx, {
    role: 'SYN into a black hole',
    ports: null,
    kind: { client: 'syn-unanswered', server: 'unseen' },
    synRetransmissions: { client: exact(SYN_RETRIES), server: null },
    synAckRetransmissions: { client: exact(0), server: null },
    completes: { client: false, server: null },
    clientError: error.code,
  });
  return setupResult({
    expectedKind: 'syn-unanswered',
    groups: [g],
    sysctls,
    counters: {
      expected: {
        // The server's kernel saw nothing at all.
        server: { ListenDrops: exact(0), OutRsts: exact(0), PassiveOpens: exact(0), InSegs: exact(0) },
        // Each RTO counts, the last one too (it gives up): ETIMEDOUT is an abort on timeout.
        client: {
          AttemptFails: exact(1),
          TCPSynRetrans: exact(SYN_RETRIES),
          TCPTimeouts: exact(SYN_RETRIES + 1),
          TCPAbortOnTimeout: exact(1),
        },
      },
      measured: counters,
    },
    listener: null,
    firewall: await firewallCounts(ctx, { [DROPPED]: exact(SYN_RETRIES + 1) }),
  });
}

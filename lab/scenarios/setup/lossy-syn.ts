import { LAB_PORT } from '../../endpoint-protocol.js';
import { sleep } from '../../exec.js';
import type { ScenarioContext, ScenarioResult, ScenarioSpec } from '../../scenario.js';
import {
  classicSynBackoff,
  exact,
  firewallCounts,
  group,
  movedSince,
  setupResult,
  snapshot,
  startClient,
  startServer,
} from '../../setup/setup-kit.js';

const LOST = 'lost-syns';
/** SYNs the path loses before one gets through: each costs the client a doubled RTO (1 s, then 2 s). */
const LOST_SYNS = 2;

/**
 * A lossy path: the firewall drops the first two SYNs (nftables numgen
 * counts the SYNs it sees; it is only evaluated for SYNs, so the count is
 * exact) and lets the third through. The client's kernel retries at 1 s and
 * 3 s and the connection is set up after ~3 s; the server sees one SYN.
 */
export const lossySyn: ScenarioSpec = {
  name: 'setup-lossy-syn',
  summary: `The path loses the client's first ${LOST_SYNS} SYNs (nftables numgen): the client retries at 1 s and 3 s and the connection is set up after ~3 s; the server sees one SYN.`,
  ipVersion: 4,
  firewall: {
    idleTimeoutS: 60,
    action: 'drop',
    nat: false,
    extra: {
      counters: [LOST],
      forward: [
        `tcp dport ${LAB_PORT} tcp flags & (syn|ack) == syn numgen inc mod ${LOST_SYNS + 1} < ${LOST_SYNS} counter name "${LOST}" drop`,
      ],
    },
  },
  drive,
};

async function drive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const sysctls = { client: await classicSynBackoff(ctx.topo.ns.client), server: [] };
  const server = await startServer(ctx);
  const before = await snapshot(ctx);
  const client = startClient(ctx, 'client');
  const connected = await client.waitFor('connected', 6000);
  const m = client.mark();
  client.send({ op: 'write', text: 'hello\n' });
  await client.waitFor('data', 2000, m);
  client.send({ op: 'end' });
  await client.waitFor('close', 2000, m);
  await server.waitFor('close', 2000);
  await sleep(100);
  const counters = await movedSince(ctx, before);
  const g = group(ctx, {
    role: 'set up after SYN retries',
    ports: [connected.local.port],
    kind: { client: null, server: null },
    synRetransmissions: { client: exact(LOST_SYNS), server: exact(0) },
    // 1 s + 2 s of back-off at the client; the server sees only the SYN that got through.
    setupS: { client: { min: 2.9, max: 3.5 }, server: { min: 0, max: 0.5 } },
  });
  return setupResult({
    expectedKind: null,
    groups: [g],
    sysctls,
    counters: {
      expected: {
        client: { TCPSynRetrans: exact(LOST_SYNS), TCPTimeouts: exact(LOST_SYNS), AttemptFails: exact(0) },
        server: { PassiveOpens: exact(1), ListenDrops: exact(0), TCPTimeouts: exact(0) },
      },
      measured: counters,
    },
    listener: null,
    firewall: await firewallCounts(ctx, { [LOST]: exact(LOST_SYNS) }),
  });
}

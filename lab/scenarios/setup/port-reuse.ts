import { sleep } from '../../exec.js';
import { flushRawChain, insertFirewallRule } from '../../firewall.js';
import { expectError } from '../../scenario-kit.js';
import type { ScenarioContext, ScenarioResult, ScenarioSpec } from '../../scenario.js';
import {
  exact,
  firewallCounts,
  group,
  movedSince,
  setupResult,
  snapshot,
  startClient,
  startServer,
  waitCount,
} from '../../setup/setup-kit.js';

/** A fixed client port, so the second connection reuses the first one's 4-tuple. */
const CLIENT_PORT = 40404;
const LOST_RST = 'lost-rst';

/**
 * Source-port reuse against a server that still holds the old connection.
 * The client aborts its connection (SO_LINGER 0) but the firewall drops its
 * RST before conntrack sees it (the raw chain), so the server's socket stays
 * ESTABLISHED and the firewall's flow too. The client then connects again
 * from the same port: the server answers the SYN with a challenge ACK (RFC
 * 5961), the client's kernel answers that with a RST, which resets the old
 * connection at the server, and the client's SYN retry is answered with a
 * SYN-ACK.
 */
export const portReuse: ScenarioSpec = {
  name: 'setup-port-reuse',
  summary: `The client reconnects from port ${CLIENT_PORT} while the server still holds its old connection (the firewall lost the client's RST): the SYN gets a challenge ACK, the client's RST clears the old connection, the SYN retry succeeds.`,
  ipVersion: 4,
  firewall: { idleTimeoutS: 60, action: 'drop', nat: false, extra: { counters: [LOST_RST] } },
  drive,
};

async function drive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const server = await startServer(ctx);
  const old = startClient(ctx, 'old client', { localPort: CLIENT_PORT });
  await old.waitFor('connected', 3000);
  await server.waitFor('accepted', 3000);
  old.send({ op: 'write', text: 'hello\n' });
  await old.waitFor('data', 2000);
  await insertFirewallRule(
    ctx.topo,
    'raw',
    `ip saddr ${ctx.addr.client} tcp sport ${CLIENT_PORT} tcp flags & rst == rst counter name "${LOST_RST}" drop`,
  );
  old.send({ op: 'abort' });
  await old.waitFor('close', 2000);
  await sleep(100);
  await flushRawChain(ctx.topo);
  await old.stop();

  const before = await snapshot(ctx);
  const fromMs = Date.now();
  const s = server.mark();
  const client = startClient(ctx, 'new client', { localPort: CLIENT_PORT });
  await client.waitFor('connected', 4000);
  const oldError = await server.waitFor('error', 2000, s);
  expectError("the server's old connection", oldError, 'ECONNRESET');
  await waitCount(server, 'accepted', 1, 2000, s);
  const m = client.mark();
  client.send({ op: 'write', text: 'again\n' });
  await client.waitFor('data', 2000, m);
  client.send({ op: 'end' });
  await client.waitFor('close', 2000, m);
  await sleep(100);
  const counters = await movedSince(ctx, before);
  const g = group(ctx, {
    role: 'SYN on a 4-tuple the server still holds',
    ports: [CLIENT_PORT],
    fromMs,
    kind: { client: 'port-reuse', server: 'port-reuse' },
    // The first SYN drew the challenge ACK; its retry (same ISN) got the SYN-ACK. Having sent its RST, the
    // client's kernel retries within milliseconds (Linux re-arms the SYN timer short), not after the 1 s RTO.
    synRetransmissions: { client: exact(1), server: exact(1) },
    setupS: { client: { min: 0, max: 1.5 }, server: { min: 0, max: 1.5 } },
  });
  return setupResult(
    {
      expectedKind: 'port-reuse',
      groups: [g],
      sysctls: { client: [], server: [] },
      counters: {
        expected: {
          server: { TCPSYNChallenge: exact(1), TCPChallengeACK: exact(1), EstabResets: exact(1), OutRsts: exact(0) },
          client: { OutRsts: exact(1), TCPTimeouts: exact(1), AttemptFails: exact(0) },
        },
        measured: counters,
      },
      listener: null,
      firewall: await firewallCounts(ctx, { [LOST_RST]: exact(1) }),
    },
    [`the server's old connection ended with ${oldError.code}`],
  );
}

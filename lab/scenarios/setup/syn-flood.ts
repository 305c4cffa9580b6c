import type { ScenarioContext, ScenarioResult, ScenarioSpec } from '../../scenario.js';
import { IFACE } from '../../topology.js';
import { run, sleep } from '../../exec.js';
import { firewallCounter } from '../../firewall.js';
import {
  atLeast,
  classicSynBackoff,
  exact,
  firewallCounts,
  group,
  readServerQueues,
  readSysctl,
  setSysctls,
  setupResult,
  snapshot,
  startClient,
  startServer,
  waitCount,
} from '../../setup/setup-kit.js';

/** The flood's source: a second address of the client namespace, so its SYN-ACKs can be told apart and dropped. */
const FLOOD_ADDR = '192.0.2.20';
const FLOOD = 1500;
const SOMAXCONN = 8;
const ASKED_BACKLOG = 64;
const SYNACKS = 'flood-synacks';
/** The flood's sockets each retry their SYN once (at 1 s) before the lab stops watching. */
const WATCH_MS = 1500;
/** With the classic backoff, a socket's second retry leaves 3 s after its first SYN. */
const SECOND_RETRY_MS = 3000;

/**
 * A SYN flood: 1500 sockets connect at once from a second client address
 * whose SYN-ACKs the firewall drops, so none completes and each retries its
 * SYN once, after 1 s (3000 SYNs), before the lab closes them. The server's listener asks for backlog 64, but
 * net.core.somaxconn=8 caps it at 8, and the SYN queue holds as many: past
 * it, with tcp_syncookies=1, every SYN is answered with a SYN cookie. A
 * legitimate client connects meanwhile and is set up by its cookie.
 */
export const synFlood: ScenarioSpec = {
  name: 'setup-syn-flood',
  summary: `${FLOOD} sockets flood the server with SYNs (and their retries) whose SYN-ACKs never return; its listener (backlog ${ASKED_BACKLOG} capped to somaxconn ${SOMAXCONN}) answers with SYN cookies, and a real client still connects.`,
  ipVersion: 4,
  firewall: {
    idleTimeoutS: 60,
    action: 'drop',
    nat: false,
    extra: { counters: [SYNACKS], forward: [`ip daddr ${FLOOD_ADDR} tcp flags & (syn|ack) == syn|ack counter name "${SYNACKS}" drop`] },
  },
  drive,
};

async function drive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const sysctls = await setSysctls(ctx, {
    server: ['net.ipv4.tcp_syncookies=1', `net.core.somaxconn=${SOMAXCONN}`, `net.ipv4.tcp_max_syn_backlog=${SOMAXCONN}`],
  });
  sysctls.client = await classicSynBackoff(ctx.topo.ns.client);
  await run('ip', ['-n', ctx.topo.ns.client, 'addr', 'add', `${FLOOD_ADDR}/24`, 'dev', IFACE.client]);
  const server = await startServer(ctx, { backlog: ASKED_BACKLOG });
  const before = await snapshot(ctx);
  const flood = startClient(ctx, 'flood', { connections: FLOOD, localAddr: FLOOD_ADDR });
  const started = await flood.waitFor('connecting', 5000);

  const client = startClient(ctx, 'client');
  const connected = await client.waitFor('connected', 3000);
  await server.waitFor('accepted', 2000);
  const m = client.mark();
  client.send({ op: 'write', text: 'hello\n' });
  await client.waitFor('data', 2000, m);
  await sleep(Math.max(0, started.t + WATCH_MS - Date.now()));
  // Every SYN and every retry is answered (a cookie or the request socket's SYN-ACK), and the firewall
  // counts those answers: on a loaded machine the 1500 first SYNs spread out, so wait until every
  // retry has been answered (it was captured before), but stop before any socket's second retry at 3 s.
  while ((await firewallCounter(ctx.topo, SYNACKS)) < 2 * FLOOD && Date.now() < started.t + SECOND_RETRY_MS - 300) await sleep(100);

  const { local, listener, halfOpen, counters } = await readServerQueues(ctx, before);
  const somaxconn = await readSysctl(ctx.topo.ns.server, 'net.core.somaxconn');
  // Closing SYN_SENT sockets sends nothing: the flood ends here, each socket having retried once.
  await flood.stop();
  client.send({ op: 'end' });
  await waitCount(client, 'close', 1, 2000, m);

  const groups = [
    group(ctx, {
      role: 'flood SYNs',
      client: FLOOD_ADDR,
      ports: null,
      kind: { client: 'syn-unanswered', server: 'any' },
      // Half-open or cookie: the server's view is a SYN-ACK that got no ACK, never a full queue, a refusal or a reuse.
      wrongKinds: ['listen-overflow', 'refused', 'port-reuse', 'injected-rst', 'opening-reset'],
      synRetransmissions: { client: exact(1), server: exact(1) },
      // Cookies are never retransmitted (one answers each SYN retry); the 9 request sockets' timer fires at 1 s and 3 s.
      synAckRetransmissions: { client: exact(0), server: { min: 0, max: 3 } },
      completes: { client: false, server: false },
    }),
    group(ctx, { role: 'real client during the flood', ports: [connected.local.port], kind: { client: null, server: null } }),
  ];
  return setupResult(
    {
      // What the flood's own connections get, at the client; the real client's must get nothing.
      expectedKind: 'syn-unanswered',
      groups,
      sysctls,
      counters: {
        expected: {
          server: {
            // Every flood SYN past the SYN queue's 9 gets a cookie: at least one per flood socket beyond them.
            SyncookiesSent: atLeast(FLOOD - SOMAXCONN - 1),
            TCPReqQFullDoCookies: atLeast(FLOOD - SOMAXCONN - 1),
            // The real client's ACK returned its cookie.
            SyncookiesRecv: exact(1),
            SyncookiesFailed: exact(0),
            TCPReqQFullDrop: exact(0),
            ListenOverflows: exact(0),
          },
          client: {},
        },
        measured: counters,
      },
      listener: {
        local,
        requestedBacklog: ASKED_BACKLOG,
        somaxconn,
        // Like the accept queue, the SYN queue counts as full only once it is past the backlog.
        expected: { queue: exact(0), backlog: SOMAXCONN, synRecv: exact(SOMAXCONN + 1) },
        measured: listener,
      },
      firewall: await firewallCounts(ctx, { [SYNACKS]: atLeast(FLOOD) }),
    },
    [`half-open at the server when the lab looked: ${halfOpen.length}`],
  );
}

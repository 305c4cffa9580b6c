import { minOf } from '../../../src/util/extremes.js';
import { LAB_PORT } from '../../endpoint-protocol.js';
import { LabError, sleep } from '../../exec.js';
import { flushRawChain, insertFirewallRule } from '../../firewall.js';
import type { ScenarioContext, ScenarioResult, ScenarioSpec } from '../../scenario.js';
import {
  atLeast,
  errorsByConn,
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

/**
 * The listener's backlog bounds both of its queues: at most BACKLOG
 * half-open request sockets (more SYNs get cookies or are dropped) and
 * BACKLOG + 1 connections waiting for accept() (the kernel calls the queue
 * full only once it is past the backlog).
 */
const BACKLOG = 3;
/** The first clients fill the accept queue to its backlog; it still takes one more. */
const FIRST = BACKLOG;
/** Then as many SYNs as the SYN queue holds: one more fits the accept queue, the rest overflow it. */
const SECOND = BACKLOG;
const OVERFLOWED = SECOND - 1;
/** Long enough for the server's first SYN-ACK retransmission (1 s after its SYN-ACK) to the overflowed clients. */
const WATCH_MS = 1600;
const HELD = 'held-acks';

/**
 * A server whose application hangs, with listen(BACKLOG). Clients connect
 * in two bursts. The first fills the accept queue to its backlog. For the
 * second the firewall holds back (drops) each handshake's final ACK, so all
 * its SYNs are in before any handshake completes, as when a burst of
 * clients crosses a real network's RTT (on veths a handshake completes
 * inside its connect() call). Each of these clients then sends a line, in
 * order, and that segment's ACK completes its handshake at the server: the
 * first takes the accept queue's last place, the others overflow it. With
 * tcp_abort_on_overflow=0 the server drops their ACKs and data and
 * retransmits its SYN-ACK; with 1 it resets them.
 */
export function listenOverflow(abortOnOverflow: 0 | 1): ScenarioSpec {
  return {
    name: abortOnOverflow === 0 ? 'listen-overflow' : 'listen-overflow-abort',
    summary:
      `A server hangs (never accepts) with listen(${BACKLOG}); ${FIRST} clients fill its accept queue, ${SECOND} more connect at once ` +
      `and send a line each: one takes the queue's last place, ${OVERFLOWED} complete at the client but overflow it ` +
      `(tcp_abort_on_overflow=${abortOnOverflow}: ${abortOnOverflow === 0 ? 'the server drops their ACKs and retransmits its SYN-ACK' : 'the server resets them'}).`,
    ipVersion: 4,
    firewall: {
      idleTimeoutS: 60,
      action: 'drop',
      nat: false,
      extra: { counters: [HELD] },
    },
    drive: (ctx) => drive(ctx, abortOnOverflow),
  };
}

async function drive(ctx: ScenarioContext, abortOnOverflow: 0 | 1): Promise<ScenarioResult> {
  const sysctls = await setSysctls(ctx, { server: [`net.ipv4.tcp_abort_on_overflow=${abortOnOverflow}`] });
  const server = await startServer(ctx, { backlog: BACKLOG, echo: false });
  const s = server.mark();
  server.send({ op: 'stall', ms: 60_000 });
  await server.waitFor('stalled', 2000, s);
  const before = await snapshot(ctx);

  const first = startClient(ctx, 'first clients', { connections: FIRST });
  const filled = await waitCount(first, 'connected', FIRST, 5000);
  await insertFirewallRule(
    ctx.topo,
    'raw',
    `ip saddr ${ctx.addr.client} tcp dport ${LAB_PORT} tcp flags == ack counter name "${HELD}" drop`,
  );
  const client = startClient(ctx, 'burst clients', { connections: SECOND });
  const connected = await waitCount(client, 'connected', SECOND, 5000);
  const t0 = minOf(connected, (e) => e.t, Date.now());
  await flushRawChain(ctx.topo);
  const byConn = (es: typeof connected): number[] => [...es].sort((x, y) => x.conn - y.conn).map((e) => e.local.port);
  const ports = byConn(connected);
  for (let conn = 0; conn < SECOND; conn++) {
    const m = client.mark();
    client.send({ op: 'write', text: `hello ${conn}\n`, conn });
    await client.waitFor('wrote', 2000, m);
    // Each line's ACK reaches the listener before the next is sent: the queue fills in connection order.
    await sleep(30);
  }
  const overflowed = ports.slice(SECOND - OVERFLOWED);
  if (abortOnOverflow === 1) await waitCount(client, 'error', overflowed.length, 3000);
  await sleep(Math.max(0, t0 + WATCH_MS - Date.now()));

  const { local, listener, halfOpen, counters } = await readServerQueues(ctx, before);
  const expectedHalfOpen = abortOnOverflow === 0 ? overflowed : [];
  if (halfOpen.join() !== [...expectedHalfOpen].sort((x, y) => x - y).join()) {
    throw new LabError(
      `the server holds half-open connections from ports [${halfOpen.join(', ')}], the scenario expected [${expectedHalfOpen.join(', ')}]`,
    );
  }
  const errors = errorsByConn(client);
  const reset = abortOnOverflow === 1 ? 'ECONNRESET' : null;
  const overflowedErrors = ports.map((p, conn) => (overflowed.includes(p) ? (errors.get(conn) ?? null) : null));
  if (overflowedErrors.some((e, conn) => overflowed.includes(ports[conn]!) && e !== reset)) {
    throw new LabError(`overflowed clients got errors ${JSON.stringify(overflowedErrors)}, expected ${String(reset)}`);
  }

  const groups = [
    group(ctx, {
      role: 'in the accept queue, never accepted',
      ports: [...byConn(filled), ...ports.slice(0, SECOND - OVERFLOWED)],
      kind: { client: null, server: null },
    }),
    group(ctx, {
      role: 'overflowed the accept queue',
      ports: overflowed,
      kind: { client: 'listen-overflow', server: 'listen-overflow' },
      // The server's SYN-ACK timer fires 1 s after its SYN-ACK, then 2 s later: once or twice before the
      // captures stop, depending on how long the lab takes to end them. With abort=1 the RST ends it first.
      synAckRetransmissions:
        abortOnOverflow === 0 ? { client: { min: 1, max: 2 }, server: { min: 1, max: 2 } } : { client: exact(0), server: exact(0) },
      // The server edge sees the client's ACK arrive, but the server dropped it: whether that "completes" is the analyzer's call.
      completes: { client: true, server: null },
      clientError: reset,
    }),
  ];
  return setupResult(
    {
      expectedKind: 'listen-overflow',
      groups,
      sysctls,
      counters: {
        expected: {
          server: {
            // One per ACK-bearing segment that met the full queue: at least one per overflowed client.
            ListenOverflows: abortOnOverflow === 0 ? atLeast(overflowed.length) : exact(overflowed.length),
            ListenDrops: abortOnOverflow === 0 ? atLeast(overflowed.length) : exact(overflowed.length),
            OutRsts: exact(abortOnOverflow === 0 ? 0 : overflowed.length),
            TCPReqQFullDrop: exact(0),
            SyncookiesSent: exact(0),
          },
          client: { EstabResets: exact(abortOnOverflow === 0 ? 0 : overflowed.length), OutRsts: exact(0) },
        },
        measured: counters,
      },
      listener: {
        local,
        requestedBacklog: BACKLOG,
        somaxconn: await readSysctl(ctx.topo.ns.server, 'net.core.somaxconn'),
        expected: { queue: exact(BACKLOG + 1), backlog: BACKLOG, synRecv: exact(expectedHalfOpen.length) },
        measured: listener,
      },
      firewall: await firewallCounts(ctx, { [HELD]: exact(SECOND) }),
    },
    [`client ports in connect order: ${ports.join(', ')}`],
  );
}

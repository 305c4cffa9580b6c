/**
 * Genuine resets from the real server, for contrast with forged ones: the
 * firewall keeps the flow (long timeout) and passes the RST, which therefore
 * appears at both edges and arrives from as many hops away as every other
 * server packet.
 */
import { run, sleep } from '../exec.js';
import { appOutcome, clientWritesAfterIdle, connectPair, edges, exchange, expectError, idleUntil, seconds } from '../scenario-kit.js';
import type { ScenarioContext, ScenarioSpec } from '../scenario.js';

/** Far above the scenario's length: the firewall must not interfere here. */
const PEER_TIMEOUT_S = 60;
const IDLE_MS = 1000;

export const peerAbort: ScenarioSpec = {
  name: 'peer-abort',
  summary: `The server process aborts its connection (SO_LINGER 0, socket.resetAndDestroy) after ${IDLE_MS / 1000} s idle: a genuine RST from the peer, seen at both edges.`,
  ipVersion: 4,
  firewall: { idleTimeoutS: PEER_TIMEOUT_S, action: 'reject', nat: false },
  async drive(ctx) {
    const pair = await connectPair(ctx);
    const last = await exchange(pair, 'hello\n');
    await idleUntil(last.serverT, IDLE_MS);
    const m = pair.server.mark();
    pair.server.send({ op: 'abort' });
    const aborted = await pair.server.waitFor('aborted', 2000, m);
    const err = await pair.client.waitFor('error', 3000);
    expectError('peer-abort: client after the server aborted', err, 'ECONNRESET');
    const idle = seconds(last.serverT, aborted.t);
    return {
      keepalive: { client: null, server: null },
      connections: [
        {
          id: 1,
          ended: 'reset',
          trigger: 'none',
          idleBeforeTriggerS: idle,
          edges: edges(ctx, pair, { ended: 'reset', endedBy: 'server' }, { ended: 'reset', endedBy: 'server' }),
          resets: [
            {
              sentBy: 'peer',
              host: 'server',
              from: 'server',
              to: 'client',
              seenAt: ['client', 'server'],
              trigger: 'none',
              idleBeforeTriggerS: idle,
            },
          ],
          staleFlowHits: [],
          idlePeriods: [],
          apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) },
        },
      ],
      notes: ['An active abort RST carries ACK, a window and TCP timestamps, unlike a socketless or forged one.'],
    };
  },
};

/** Swallows every RST the server host sends, as a crashed host would send none. */
async function muteServerResets(ctx: ScenarioContext, mute: boolean): Promise<void> {
  const nft = (script: string): Promise<unknown> => run('ip', ['netns', 'exec', ctx.topo.ns.server, 'nft', '-f', '-'], script);
  if (mute)
    await nft(
      'table inet kad-host {\n  chain output {\n    type filter hook output priority filter; policy accept;\n    tcp flags rst drop\n  }\n}\n',
    );
  else await nft('delete table inet kad-host\n');
}

export const peerSocketless: ScenarioSpec = {
  name: 'peer-socketless',
  summary: `The server loses its socket without a word (its abort RST never leaves the host, as after a crash); the client's write after ${IDLE_MS / 1000} s idle is answered by the server host's socketless RST: genuine, seen at both edges.`,
  ipVersion: 4,
  firewall: { idleTimeoutS: PEER_TIMEOUT_S, action: 'reject', nat: false },
  async drive(ctx) {
    const pair = await connectPair(ctx);
    const last = await exchange(pair, 'hello\n');
    await muteServerResets(ctx, true);
    const m = pair.server.mark();
    pair.server.send({ op: 'abort' });
    await pair.server.waitFor('aborted', 2000, m);
    // Let the (swallowed) abort settle before the host may speak again.
    await sleep(100);
    await muteServerResets(ctx, false);
    const { wrote, mark } = await clientWritesAfterIdle(pair, last.clientT, IDLE_MS);
    const err = await pair.client.waitFor('error', 3000, mark);
    expectError('peer-socketless: client after its write', err, 'ECONNRESET');
    const idle = seconds(last.clientT, wrote.t);
    return {
      keepalive: { client: null, server: null },
      connections: [
        {
          id: 1,
          ended: 'reset',
          trigger: 'data',
          idleBeforeTriggerS: idle,
          edges: edges(ctx, pair, { ended: 'reset', endedBy: 'server' }, { ended: 'reset', endedBy: 'server' }),
          resets: [
            {
              sentBy: 'peer',
              host: 'server',
              from: 'server',
              to: 'client',
              seenAt: ['client', 'server'],
              trigger: 'data',
              idleBeforeTriggerS: idle,
            },
          ],
          staleFlowHits: [],
          idlePeriods: [],
          apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) },
        },
      ],
      notes: [
        "The server application aborted first, but an nft rule in the server namespace swallowed that RST before it reached the server's veth, so it is in neither capture.",
        'The socketless RST (no ACK flag, window 0, no options, IP ID 0) looks like a forged one; only its hop count and its presence at the server edge tell it apart.',
      ],
    };
  },
};

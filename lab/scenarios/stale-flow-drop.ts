/**
 * The silent variant (`drop`): after the firewall forgets the idle flow,
 * nothing gets through and nothing comes back. The server's keepalive probes
 * go unanswered until its kernel gives up (ETIMEDOUT, with a RST that dies
 * at the firewall too); the client's data is retransmitted into the void.
 */
import {
  appOutcome,
  clientWritesAfterIdle,
  connectPair,
  edges,
  exchange,
  expectError,
  NODE_KEEPCNT,
  NODE_KEEPINTVL_S,
  seconds,
} from '../scenario-kit.js';
import type { ScenarioSpec } from '../scenario.js';
import { keepaliveOutlivingFirewall, STALE_IDLE_S, STALE_TIMEOUT_S } from './stale-flow-reset.js';

/** The client writes after the server's first probe is already lost, so the keepalive is the first hit. */
const CLIENT_WRITE_IDLE_MS = STALE_IDLE_S * 1000 + 1500;

export const fwDrop: ScenarioSpec = {
  name: 'fw-drop',
  summary: `The firewall silently drops segments of a flow idle for more than ${STALE_TIMEOUT_S} s: the server's keepalive probes (idle ${STALE_IDLE_S} s) go unanswered until its kernel gives up after ${NODE_KEEPCNT} probes (ETIMEDOUT, its RST dropped too); the client's data after idle is retransmitted into the void and it never learns.`,
  ipVersion: 4,
  firewall: { idleTimeoutS: STALE_TIMEOUT_S, action: 'drop', nat: false },
  async drive(ctx) {
    const pair = await connectPair(ctx);
    const serverKeepalive = await keepaliveOutlivingFirewall(pair);
    const last = await exchange(pair, 'hello\n');
    const { wrote } = await clientWritesAfterIdle(pair, last.clientT, CLIENT_WRITE_IDLE_MS);
    const giveUpS = STALE_IDLE_S + NODE_KEEPCNT * NODE_KEEPINTVL_S;
    const err = await pair.server.waitFor('error', (giveUpS + 5) * 1000);
    expectError('fw-drop: server after unanswered keepalives', err, 'ETIMEDOUT');
    const probeIdle = serverKeepalive.idleS;
    return {
      keepalive: { client: null, server: serverKeepalive },
      connections: [
        {
          id: 1,
          ended: 'timeout',
          trigger: 'keepalive',
          idleBeforeTriggerS: probeIdle,
          edges: edges(ctx, pair, { ended: 'open', endedBy: null }, { ended: 'reset', endedBy: 'server' }),
          resets: [
            {
              sentBy: 'local-stack',
              host: 'server',
              from: 'server',
              to: 'client',
              seenAt: ['server'],
              trigger: 'keepalive',
              idleBeforeTriggerS: probeIdle,
            },
          ],
          staleFlowHits: [
            { from: 'server', kind: 'keepalive', idleS: probeIdle, fate: 'dropped', segments: NODE_KEEPCNT, bytes: 0 },
            // How often the client retransmits before the capture stops depends on its RTO backoff.
            { from: 'client', kind: 'data', idleS: seconds(last.clientT, wrote.t), fate: 'dropped', segments: null, bytes: wrote.bytes },
          ],
          idlePeriods: [],
          apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) },
        },
      ],
      notes: [
        `The server's keepalive idle time is counted from its last received segment; its probes then repeat every ${NODE_KEEPINTVL_S} s (libuv's fixed TCP_KEEPINTVL) and it gives up after ${NODE_KEEPCNT} (TCP_KEEPCNT), sending a RST that the firewall drops as well.`,
        'The client never gets an error during the capture: its data is still being retransmitted when the capture stops.',
      ],
    };
  },
};

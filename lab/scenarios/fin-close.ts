/** The baseline: a short exchange and an orderly FIN close, nothing forged, nothing reset. */
import { sleep } from '../exec.js';
import { appOutcome, closeNormally, connectPair, edges, exchange } from '../scenario-kit.js';
import type { ScenarioSpec } from '../scenario.js';

export const finClose: ScenarioSpec = {
  name: 'fin-close',
  summary: 'A short exchange, then the client closes and the server follows: a normal FIN close through the firewall.',
  ipVersion: 4,
  firewall: { idleTimeoutS: 60, action: 'reject', nat: false },
  async drive(ctx) {
    const pair = await connectPair(ctx);
    await exchange(pair, 'hello\n');
    await sleep(500);
    await closeNormally(pair);
    return {
      keepalive: { client: null, server: null },
      connections: [
        {
          id: 1,
          ended: 'fin',
          trigger: 'none',
          idleBeforeTriggerS: null,
          edges: edges(ctx, pair, { ended: 'fin', endedBy: 'client' }, { ended: 'fin', endedBy: 'client' }),
          resets: [],
          staleFlowHits: [],
          idlePeriods: [],
          apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) },
        },
      ],
      notes: [],
    };
  },
};

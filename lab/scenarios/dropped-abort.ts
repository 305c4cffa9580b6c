/**
 * Issue 21, item 1: the firewall forges a RST to the server's keepalive; a
 * few seconds later the client application aborts (SO_LINGER 0), and the
 * firewall, which forgot the flow, drops that RST. The client's capture then
 * holds a RST of its own with the very sequence number of the forgery, sent
 * seconds after it: the same number, another packet.
 */
import { LabError, sleep } from '../exec.js';
import { staleRstPackets } from '../firewall.js';
import { appOutcome, connectPair, edges, exchange, expectError, seconds } from '../scenario-kit.js';
import type { ScenarioSpec } from '../scenario.js';
import { forgedReset, keepaliveOutlivingFirewall, STALE_IDLE_S, STALE_TIMEOUT_S } from './stale-flow-reset.js';

/** After the forgery, before the client gives up on the connection: the trace had about 3 s. */
const ABORT_AFTER_MS = 3000;

export const fwResetDroppedAbort: ScenarioSpec = {
  name: 'fw-reset-dropped-abort',
  summary: `The server's keepalive probe (idle ${STALE_IDLE_S} s, past the firewall's ${STALE_TIMEOUT_S} s timeout) gets a RST forged in the client's name; ${ABORT_AFTER_MS / 1000} s later the client application aborts (SO_LINGER 0) and the firewall drops that RST: the client's capture holds a RST with the forgery's sequence number.`,
  ipVersion: 4,
  firewall: { idleTimeoutS: STALE_TIMEOUT_S, action: 'reject', nat: false },
  async drive(ctx) {
    const pair = await connectPair(ctx);
    const serverKeepalive = await keepaliveOutlivingFirewall(pair);
    const last = await exchange(pair, 'hello\n');
    const err = await pair.server.waitFor('error', (STALE_IDLE_S + 5) * 1000);
    expectError('fw-reset-dropped-abort: server after its keepalive probe', err, 'ECONNRESET');
    await sleep(Math.max(0, err.t + ABORT_AFTER_MS - Date.now()));
    const m = pair.client.mark();
    pair.client.send({ op: 'abort' });
    const aborted = await pair.client.waitFor('aborted', 2000, m);
    await sleep(200);
    const dropped = await staleRstPackets(ctx.topo);
    if (dropped !== 1)
      throw new LabError(`fw-reset-dropped-abort: the firewall dropped ${dropped} RST(s), the scenario expected the client's 1`);
    const probeIdle = seconds(last.serverT, err.t);
    return {
      keepalive: { client: null, server: serverKeepalive },
      connections: [
        {
          id: 1,
          ended: 'reset',
          trigger: 'keepalive',
          idleBeforeTriggerS: probeIdle,
          edges: edges(ctx, pair, { ended: 'reset', endedBy: 'client' }, { ended: 'reset', endedBy: 'client' }),
          resets: [
            forgedReset('client', 'keepalive', probeIdle),
            {
              sentBy: 'peer',
              host: 'client',
              from: 'client',
              to: 'server',
              seenAt: ['client'],
              trigger: 'none',
              idleBeforeTriggerS: seconds(last.clientT, aborted.t),
            },
          ],
          staleFlowHits: [{ from: 'server', kind: 'keepalive', idleS: probeIdle, fate: 'reset', segments: 1, bytes: 0 }],
          idlePeriods: [],
          apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) },
        },
      ],
      notes: [
        "The client's abort RST (ACK, window, timestamps) carries the sequence number the forged one claimed; the firewall's stale-rst counter shows it was dropped, so the server never saw it.",
      ],
    };
  },
};

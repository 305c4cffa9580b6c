/**
 * Keepalive shorter than the firewall's idle timeout: the probes keep the
 * flow in the firewall's table, so the connection stays usable across idle
 * periods each several times longer than the timeout, then closes normally.
 * The keepalive time comes from `kad recommend`, so this scenario tests the
 * recommendation itself.
 */
import { LabError } from '../exec.js';
import { recommendKeepalive } from '../recommend.js';
import { appOutcome, closeNormally, connectPair, edges, enableKeepalive, exchange, idleUntil, seconds } from '../scenario-kit.js';
import type { ScenarioSpec } from '../scenario.js';
import type { IdlePeriod } from '../truth.js';

/** Long enough for `kad recommend` to find a setting that tolerates its default two lost probes. */
const TIMEOUT_S = 6;
const IDLE_PERIODS = 3;
/** Each idle period alone would kill the flow twice over; together they are six firewall timeouts. */
const IDLE_PERIOD_MS = 2 * TIMEOUT_S * 1000;

export const keepaliveSurvives: ScenarioSpec = {
  name: 'keepalive-survives',
  summary: `Client keepalive (time from \`kad recommend --idle-timeout ${TIMEOUT_S}s\`) below the ${TIMEOUT_S} s firewall timeout: data still flows after ${IDLE_PERIODS} idle periods of ${IDLE_PERIOD_MS / 1000} s each, then a normal FIN close.`,
  ipVersion: 4,
  firewall: { idleTimeoutS: TIMEOUT_S, action: 'reject', nat: false },
  async drive(ctx) {
    const rec = await recommendKeepalive(TIMEOUT_S);
    const pair = await connectPair(ctx);
    const keepalive = await enableKeepalive(pair.client, rec.idleS, rec.source, rec.recommended);
    let last = await exchange(pair, 'hello\n');
    const idlePeriods: IdlePeriod[] = [];
    for (let i = 1; i <= IDLE_PERIODS; i++) {
      await idleUntil(last.clientT, IDLE_PERIOD_MS);
      const before = last.clientT;
      try {
        last = await exchange(pair, `ping ${i}\n`);
      } catch (err) {
        throw new LabError(
          `keepalive-survives: the connection died in idle period ${i} with TCP_KEEPIDLE ${keepalive.idleS} s (${keepalive.source}): ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      idlePeriods.push({ idleS: seconds(before, last.wroteT), exchangedAfter: true });
    }
    await closeNormally(pair);
    return {
      keepalive: { client: keepalive, server: null },
      connections: [
        {
          id: 1,
          ended: 'fin',
          trigger: 'none',
          idleBeforeTriggerS: null,
          edges: edges(ctx, pair, { ended: 'fin', endedBy: 'client' }, { ended: 'fin', endedBy: 'client' }),
          resets: [],
          staleFlowHits: [],
          idlePeriods,
          apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) },
        },
      ],
      notes: rec.notes,
    };
  },
};

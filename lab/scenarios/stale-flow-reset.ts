/**
 * The seed case: the firewall forgets an idle flow, and the next segment of
 * it, a keepalive probe or data, is answered by a RST the firewall forges
 * in the peer's name (`reject with tcp reset`). The other endpoint never
 * learns anything: at its edge the connection is still open.
 */
import { LabError } from '../exec.js';
import {
  appOutcome,
  clientWritesAfterIdle,
  connectPair,
  edges,
  enableKeepalive,
  exchange,
  expectError,
  seconds,
  type Pair,
} from '../scenario-kit.js';
import type { FirewallConfig } from '../firewall.js';
import type { ScenarioSpec } from '../scenario.js';
import type { ConnectionTruth, KeepaliveSetting, ResetTruth, Side } from '../truth.js';

export const STALE_TIMEOUT_S = 3;
/** Longer than the firewall timeout, so the idle flow is always forgotten first. */
export const STALE_IDLE_S = 5;

/** The server's keepalive, idle STALE_IDLE_S: its first probe meets a flow the firewall has already forgotten. */
export function keepaliveOutlivingFirewall(pair: Pair): Promise<KeepaliveSetting> {
  return enableKeepalive(pair.server, STALE_IDLE_S, `scenario: TCP_KEEPIDLE longer than the ${STALE_TIMEOUT_S} s firewall timeout`);
}

/** The RST the firewall forges in `from`'s name when `trigger` meets the forgotten flow: only the other end's capture holds it. */
export function forgedReset(from: Side, trigger: 'keepalive' | 'data', idleBeforeTriggerS: number): ResetTruth {
  const to: Side = from === 'client' ? 'server' : 'client';
  return { sentBy: 'middlebox', host: 'firewall', from, to, seenAt: [to], trigger, idleBeforeTriggerS };
}

interface Variant {
  name: string;
  summary: string;
  ipVersion: 4 | 6;
  nat: boolean;
  trigger: 'keepalive' | 'data';
  /** How the firewall disguises itself (a SYN proxy in front of the server, a copied TTL on its RSTs). */
  disguise?: Pick<FirewallConfig, 'synproxy' | 'forgedTtl'>;
  notes?: string[];
}

export function staleFlowReset(v: Variant): ScenarioSpec {
  return {
    name: v.name,
    summary: v.summary,
    ipVersion: v.ipVersion,
    firewall: { idleTimeoutS: STALE_TIMEOUT_S, action: 'reject', nat: v.nat, ...v.disguise },
    async drive(ctx) {
      const pair = await connectPair(ctx);
      let serverKeepalive: KeepaliveSetting | null = null;
      if (v.trigger === 'keepalive') {
        serverKeepalive = await keepaliveOutlivingFirewall(pair);
      }
      const last = await exchange(pair, 'hello\n');
      let conn: Omit<ConnectionTruth, 'apps'>;
      if (v.trigger === 'keepalive') {
        // The probe leaves STALE_IDLE_S after the last packet; the forged RST is back within a millisecond.
        const err = await pair.server.waitFor('error', (STALE_IDLE_S + 5) * 1000);
        expectError(`${v.name}: server after its keepalive probe`, err, 'ECONNRESET');
        const idle = seconds(last.serverT, err.t);
        conn = {
          id: 1,
          ended: 'reset',
          trigger: 'keepalive',
          idleBeforeTriggerS: idle,
          edges: edges(ctx, pair, { ended: 'open', endedBy: null }, { ended: 'reset', endedBy: 'client' }),
          resets: [forgedReset('client', 'keepalive', idle)],
          staleFlowHits: [{ from: 'server', kind: 'keepalive', idleS: idle, fate: 'reset', segments: 1, bytes: 0 }],
          idlePeriods: [],
        };
      } else {
        const { wrote, mark } = await clientWritesAfterIdle(pair, last.clientT, STALE_IDLE_S * 1000);
        const err = await pair.client.waitFor('error', 3000, mark);
        expectError(`${v.name}: client after its write`, err, 'ECONNRESET');
        const idle = seconds(last.clientT, wrote.t);
        conn = {
          id: 1,
          ended: 'reset',
          trigger: 'data',
          idleBeforeTriggerS: idle,
          edges: edges(ctx, pair, { ended: 'reset', endedBy: 'server' }, { ended: 'open', endedBy: null }),
          resets: [forgedReset('server', 'data', idle)],
          staleFlowHits: [{ from: 'client', kind: 'data', idleS: idle, fate: 'reset', segments: 1, bytes: wrote.bytes }],
          idlePeriods: [],
        };
      }
      if (v.nat && sharesAddrOrPort(conn.edges.client.client, conn.edges.server.client)) {
        throw new LabError(`${v.name}: masquerade did not change the client's address and port`);
      }
      return {
        keepalive: { client: null, server: serverKeepalive },
        connections: [{ ...conn, apps: { client: appOutcome(pair.client), server: appOutcome(pair.server) } }],
        notes: v.notes ?? [],
      };
    },
  };
}

function sharesAddrOrPort(a: { addr: string; port: number }, b: { addr: string; port: number }): boolean {
  return a.addr === b.addr || a.port === b.port;
}

/**
 * Checks what `kad analyze --json` says about the lab's captures against the
 * lab's ground truth. Every expectation is derived from the truth file, so a
 * wrong analysis (or a wrong truth) fails here.
 */
import type { ConnectionReport, DirectionStats, FileReport } from '../../src/model/analysis-report.js';
import type { ConnectionTruth, Edge, LabTruth, Side } from '../truth.js';
import { Checks, EDGES, IDLE_TOLERANCE_S, endpointText, otherEdge, sameEndpoint, type Check } from './check.js';
import { maxOf } from '../../src/util/extremes.js';

const dirOf = (conn: ConnectionReport, side: Side): DirectionStats => (side === 'client' ? conn.c2s : conn.s2c);

export function checkAnalysis(truth: LabTruth, reports: Record<Edge, FileReport>): Check[] {
  const c = new Checks();
  const found: Partial<Record<Edge, ConnectionReport>> = {};
  for (const edge of EDGES) {
    const file = reports[edge];
    c.eq(edge, 'capture read to its end', file.error, null);
    c.eq(edge, 'connections', file.connections.length, truth.connections.length);
    for (const t of truth.connections) {
      const view = t.edges[edge];
      const conn = file.connections.find((k) => sameEndpoint(k.client, view.client) && sameEndpoint(k.server, view.server));
      c.that(
        edge,
        'connection found by its endpoints at this edge',
        conn !== undefined,
        `${endpointText(view.client)} > ${endpointText(view.server)}`,
        file.connections.map((k) => `${endpointText(k.client)} > ${endpointText(k.server)}`).join(', ') || 'none',
      );
      if (!conn) continue;
      found[edge] = conn;
      checkEdge(c, edge, truth, t, conn);
    }
  }
  const t = truth.connections[0];
  if (t && found.client && found.server) checkTwoPoint(c, t, { client: found.client, server: found.server });
  return c.list;
}

function checkEdge(c: Checks, edge: Edge, truth: LabTruth, t: ConnectionTruth, conn: ConnectionReport): void {
  const view = t.edges[edge];
  const { initialTtl, hops } = truth.path;
  c.eq(edge, 'IP version', conn.ipVersion, truth.ipVersion);
  c.eq(edge, 'handshake seen (not mid-stream)', conn.midStream, false);
  c.eq(edge, 'ended.kind', conn.ended.kind, view.ended);
  c.eq(edge, 'ended.by', conn.ended.by, view.endedBy);

  const resets = t.resets.filter((r) => r.seenAt.includes(edge));
  for (const side of ['client', 'server'] as const) {
    const dir = dirOf(conn, side);
    const mine = resets.filter((r) => r.from === side);
    c.eq(edge, `RSTs in the ${side}'s name`, dir.rsts, mine.length);
    // An endpoint's own packets are captured before any hop; the far one's after the firewall.
    const real = side === edge ? initialTtl : initialTtl - hops;
    c.eq(edge, `${side} TTL baseline (its SYN${side === 'server' ? '-ACK' : ''})`, dir.ttl?.first, real);
    if (mine.some((r) => r.sentBy === 'middlebox')) {
      c.eq(
        edge,
        `forged RST in the ${side}'s name shows as a TTL the real ${side} never has here`,
        [dir.ttl?.min, dir.ttl?.max],
        [real, initialTtl],
      );
      c.that(
        edge,
        `forged RST's TTL differs from the ${side}'s baseline`,
        dir.ttl !== null && dir.ttl.max !== dir.ttl.first,
        `max ≠ first`,
        dir.ttl,
      );
    } else {
      c.eq(edge, `every ${side} packet at one TTL, RSTs included`, [dir.ttl?.min, dir.ttl?.max], [real, real]);
    }
    const probing = t.staleFlowHits.filter((h) => h.from === side && h.kind === 'keepalive');
    if (probing.length > 0) {
      const reached = side === edge ? probing.reduce((n, h) => n + (h.segments ?? 0), 0) : 0;
      c.eq(
        edge,
        `${side} keepalive probes ${side === edge ? 'sent into the forgotten flow' : 'that got through'}`,
        dir.keepalives,
        reached,
      );
    } else if (!truth.keepalive[side]) {
      c.eq(edge, `${side} sends no keepalives`, dir.keepalives, 0);
    }
  }

  const mineHits = t.staleFlowHits.filter((h) => h.from === edge);
  if (mineHits.length > 0) {
    const idle = maxOf(mineHits, (h) => h.idleS, -Infinity);
    c.near(edge, `longest idle (before the ${edge}'s segment met the forgotten flow)`, conn.longestIdleS, idle, IDLE_TOLERANCE_S);
  }
  if (t.staleFlowHits.some((h) => h.kind === 'keepalive')) c.eq(edge, 'keepalives answered', conn.keepalives.answered, 0);
  for (const h of mineHits.filter((x) => x.kind === 'data' && x.fate === 'dropped')) {
    c.atLeast(edge, `${h.from} retransmits its data into the void`, dirOf(conn, h.from).retransmissions, 1);
  }
  if (t.idlePeriods.length > 0) {
    c.that(
      edge,
      'longest idle below the firewall timeout',
      conn.longestIdleS < truth.firewall.idleTimeoutS,
      `< ${truth.firewall.idleTimeoutS}`,
      conn.longestIdleS,
    );
    c.atLeast(edge, 'keepalives answered', conn.keepalives.answered, 3);
    c.eq(edge, 'every keepalive answered', conn.keepalives.answered, conn.keepalives.sent);
    for (const side of ['client', 'server'] as const) {
      c.eq(
        edge,
        `${side} payload bytes (every exchange after every idle period)`,
        dirOf(conn, side).payloadBytes,
        t.apps[side].bytesWritten,
      );
    }
  }
}

/** What only a capture at both edges shows: what the firewall kept from the far side. */
function checkTwoPoint(c: Checks, t: ConnectionTruth, conns: Record<Edge, ConnectionReport>): void {
  for (const side of ['client', 'server'] as const) {
    const own = dirOf(conns[side], side);
    const far = dirOf(conns[otherEdge(side)], side);
    const lost = t.staleFlowHits.filter((h) => h.from === side).reduce((n, h) => n + h.bytes, 0);
    c.eq('both', `${side}'s payload bytes that crossed the firewall`, far.payloadBytes, t.apps[side].bytesWritten - lost);
    if (own.retransmissions === 0) c.eq(side, `${side}'s payload bytes (no retransmissions)`, own.payloadBytes, t.apps[side].bytesWritten);
  }
}

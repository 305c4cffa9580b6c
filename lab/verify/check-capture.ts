/**
 * Checks the lab's captures against its ground truth using tshark's
 * decoding, independent of kad's own reader: if these fail, the lab (not
 * the analyzer) is wrong.
 */
import type { ConnectionTruth, Edge, EdgeView, LabTruth, ResetTruth, Side } from '../truth.js';
import { Checks, EDGES, IDLE_TOLERANCE_S, endpointText, otherEdge, sameEndpoint, type Check } from './check.js';
import { TCP, type Frame } from './tshark-frames.js';
import { maxOf } from '../../src/util/extremes.js';

function sender(f: Frame, view: EdgeView): Side | null {
  const src = { addr: f.src, port: f.sport };
  if (sameEndpoint(src, view.client)) return 'client';
  if (sameEndpoint(src, view.server)) return 'server';
  return null;
}

const has = (f: Frame, flag: number): boolean => (f.flags & flag) !== 0;

export function checkCaptures(truth: LabTruth, frames: Record<Edge, Frame[]>): Check[] {
  const c = new Checks();
  const conn = truth.connections[0];
  if (!conn || truth.connections.length !== 1) {
    c.eq('both', 'the lab captures exactly one connection per scenario', truth.connections.length, 1);
    return c.list;
  }
  const { initialTtl, hops } = truth.path;
  for (const edge of EDGES) {
    const view = conn.edges[edge];
    const fs = frames[edge];
    const from = (side: Side): Frame[] => fs.filter((f) => sender(f, view) === side);
    c.eq(
      edge,
      'every frame belongs to the connection as addressed at this edge',
      fs.filter((f) => sender(f, view) === null).map((f) => f.n),
      [],
    );

    const syns = fs.filter((f) => has(f, TCP.SYN) && !has(f, TCP.ACK));
    c.eq(edge, 'one SYN', syns.length, 1);
    const syn = syns[0];
    if (syn)
      c.eq(
        edge,
        'SYN addresses',
        `${endpointText({ addr: syn.src, port: syn.sport })} > ${endpointText({ addr: syn.dst, port: syn.dport })}`,
        `${endpointText(view.client)} > ${endpointText(view.server)}`,
      );

    // Packets of the endpoint on this edge's own link have not been forwarded yet.
    const local: Side = edge;
    const remote: Side = edge === 'client' ? 'server' : 'client';
    const baseline = (side: Side): number => (side === local ? initialTtl : initialTtl - hops);
    c.eq(
      edge,
      `${remote}'s packets arrive ${hops} hop(s) away`,
      [
        ...new Set(
          from(remote)
            .filter((f) => !has(f, TCP.RST))
            .map((f) => f.ttl),
        ),
      ],
      [initialTtl - hops],
    );

    const rsts = fs.filter((f) => has(f, TCP.RST));
    const expected = conn.resets.filter((r) => r.seenAt.includes(edge));
    c.eq(
      edge,
      'RSTs in the capture',
      rsts.map((f) => sender(f, view)),
      expected.map((r) => r.from),
    );
    expected.forEach((r, i) => {
      const f = rsts[i];
      if (!f) return;
      const ttl = r.sentBy === 'middlebox' ? initialTtl : baseline(r.from);
      c.eq(edge, `TTL of the RST sent by the ${r.sentBy} (${r.host}) in the ${r.from}'s name`, f.ttl, ttl);
      checkTrigger(c, edge, fs, f, view, r);
    });

    const fins = fs.filter((f) => has(f, TCP.FIN));
    if (view.ended === 'fin') {
      c.eq(
        edge,
        'FINs (first one first)',
        fins.map((f) => sender(f, view)),
        [view.endedBy, view.endedBy === 'client' ? 'server' : 'client'],
      );
    } else {
      c.eq(edge, 'no FIN', fins.length, 0);
    }
    checkKeepalives(c, edge, truth, conn, from);
    checkIdlePeriods(c, edge, truth, conn, fs, from);
  }
  checkStaleHits(c, conn, frames);
  return c.list;
}

/** The frame just before the RST is what provoked it (for a local-stack RST: the sender's own last attempt). */
function checkTrigger(c: Checks, edge: Edge, fs: Frame[], rst: Frame, view: EdgeView, r: ResetTruth): void {
  const i = fs.indexOf(rst);
  const prev = fs[i - 1];
  if (r.trigger === 'none') {
    c.near(edge, 'unprovoked RST: silence before it', prev ? rst.t - prev.t : null, r.idleBeforeTriggerS, IDLE_TOLERANCE_S);
    return;
  }
  const provoker = r.sentBy === 'local-stack' ? r.from : r.to;
  const kind = prev ? (prev.keepAlive ? 'keepalive' : prev.len > 0 ? 'data' : 'other') : 'nothing';
  c.eq(edge, 'frame before the RST', `${prev ? sender(prev, view) : null} ${kind}`, `${provoker} ${r.trigger}`);
  // Stale-flow triggers get their idle checked with the hit itself.
  const before = fs[i - 2];
  if (r.sentBy === 'peer' && prev && before)
    c.near(edge, `idle before the ${r.trigger} that drew the RST`, prev.t - before.t, r.idleBeforeTriggerS, IDLE_TOLERANCE_S);
}

/** Keepalives of sides that keep the flow alive: answered, every one; sides without keepalive send none. */
function checkKeepalives(c: Checks, edge: Edge, truth: LabTruth, conn: ConnectionTruth, from: (s: Side) => Frame[]): void {
  for (const side of ['client', 'server'] as const) {
    if (conn.staleFlowHits.some((h) => h.from === side && h.kind === 'keepalive')) continue;
    const probes = from(side).filter((f) => f.keepAlive).length;
    if (!truth.keepalive[side]) {
      c.eq(edge, `${side} sends no keepalives`, probes, 0);
      continue;
    }
    const acks = from(side === 'client' ? 'server' : 'client').filter((f) => f.keepAliveAck).length;
    c.atLeast(edge, `${side} keepalives, one or more per idle period`, probes, Math.max(3, conn.idlePeriods.length));
    c.eq(edge, `every ${side} keepalive answered`, acks, probes);
  }
}

/** Idle periods the connection survived: no silence as long as the firewall timeout, data after each. */
function checkIdlePeriods(c: Checks, edge: Edge, truth: LabTruth, conn: ConnectionTruth, fs: Frame[], from: (s: Side) => Frame[]): void {
  if (conn.idlePeriods.length === 0) return;
  const gaps = fs.slice(1).map((f, i) => f.t - (fs[i]?.t ?? f.t));
  c.that(
    edge,
    'longest silence stays below the firewall timeout',
    maxOf(gaps, (g) => g, -Infinity) < truth.firewall.idleTimeoutS,
    `< ${truth.firewall.idleTimeoutS} s`,
    maxOf(gaps, (g) => g, -Infinity).toFixed(3),
  );
  const writes = (side: Side): number => from(side).filter((f) => f.len > 0 && !f.keepAlive).length;
  c.eq(edge, 'client data segments (hello + one per idle period)', writes('client'), 1 + conn.idlePeriods.length);
  c.eq(edge, 'server echoes', writes('server'), 1 + conn.idlePeriods.length);
}

function checkStaleHits(c: Checks, conn: ConnectionTruth, frames: Record<Edge, Frame[]>): void {
  for (const hit of conn.staleFlowHits) {
    const origin: Edge = hit.from;
    const far = otherEdge(origin);
    const sent = (edge: Edge): Frame[] => frames[edge].filter((f) => sender(f, conn.edges[edge]) === hit.from);
    const all = frames[origin];
    const first =
      hit.kind === 'keepalive'
        ? sent(origin).find((f) => f.keepAlive)
        : sent(origin)
            .filter((f) => f.len > 0 && !f.retransmission)
            .at(-1);
    const before = first ? all[all.indexOf(first) - 1] : undefined;
    c.near(
      origin,
      `idle before the ${hit.from}'s ${hit.kind} met the forgotten flow`,
      first && before ? first.t - before.t : null,
      hit.idleS,
      IDLE_TOLERANCE_S,
    );
    if (hit.kind === 'keepalive') {
      c.eq(
        origin,
        `${hit.from} keepalive probes that found the flow forgotten (${hit.fate})`,
        sent(origin).filter((f) => f.keepAlive).length,
        hit.segments,
      );
      c.eq(far, `${hit.from} keepalive probes that got through the firewall`, sent(far).filter((f) => f.keepAlive).length, 0);
      c.eq('both', 'keepalive ACKs', frames.client.concat(frames.server).filter((f) => f.keepAliveAck).length, 0);
    } else {
      const payload = (edge: Edge): number => sent(edge).reduce((n, f) => n + f.len, 0);
      const retrans = sent(origin).filter((f) => f.retransmission);
      if (hit.fate === 'dropped') c.atLeast(origin, `${hit.from} retransmits its data into the void`, retrans.length, 1);
      const retransBytes = retrans.reduce((n, f) => n + f.len, 0);
      c.eq(
        'both',
        `${hit.from}'s ${hit.bytes} bytes after idle never cross the firewall`,
        payload(origin) - retransBytes - payload(far),
        hit.bytes,
      );
    }
  }
}

import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import type { CaptureComparison, Evidence } from '../model/analysis-report.js';
import { K_RST } from '../track/packet-kind.js';
import type { TcpTracker, UnansweredTails } from '../track/tcp-tracker.js';
import type { ResetContext } from '../track/reset-context.js';
import { median } from '../util/median.js';
import { connectionFacts } from './connection-facts.js';
import { ConnectionEvents } from './connection-events.js';
import type { CrossEvidence } from './diagnose-capture.js';
import { findSilentDrop } from './silent-drop.js';

const side = (d: number) => (d === 0 ? 'client' : 'server');

function isnKey(t: TcpTracker, c: number): string | null {
  const s = t.store;
  if (!s.synSeen(c, 0)) return null;
  const server = s.synSeen(c, 1) ? s.isn(c, 1) : 'none';
  return `${s.isn(c, 0)}|${server}`;
}

/** A packet's identity in both captures: NAT rewrites addresses and ports, not sequence numbers. */
function packetKey(log: ConnectionEvents['log'], i: number): string {
  return `${log.dir(i)}|${log.seq(i)}|${log.ack(i)}|${log.len(i)}|${log.kind(i) === K_RST ? 'R' : ''}`;
}

export interface TwoSided {
  comparison: CaptureComparison;
  /** Evidence for the first capture's diagnosis, and for the second's. */
  cross: [CrossEvidence, CrossEvidence];
}

/**
 * Lines up two captures of the same connections and lets each one testify
 * about the other: a RST that the claimed sender's own capture never shows
 * was not sent by it; probes that never reach the other end were black-holed.
 */
export function compareCaptures(a: CaptureAnalysis, b: CaptureAnalysis): TwoSided {
  const ta = a.tracker;
  const tb = b.tracker;
  const byIsn = new Map<string, number>();
  const byTuple = new Map<string, number>();
  for (let c = 0; c < tb.connectionCount; c++) {
    const k = isnKey(tb, c);
    if (k) byIsn.set(k, c);
    byTuple.set(tb.store.tupleKey(c), c);
  }
  const pairs: Array<[number, number]> = [];
  let viaIsn = 0;
  let nat = false;
  for (let c = 0; c < ta.connectionCount; c++) {
    const k = isnKey(ta, c);
    let m = k ? byIsn.get(k) : undefined;
    if (m !== undefined) viaIsn++;
    else m = byTuple.get(ta.store.tupleKey(c));
    if (m === undefined) continue;
    pairs.push([c, m]);
    if (ta.store.tupleKey(c) !== tb.store.tupleKey(m)) nat = true;
  }

  const evA = new ConnectionEvents(ta);
  const evB = new ConnectionEvents(tb);
  const offset = estimateOffset(a, b, pairs, evA, evB);
  const cross: [CrossEvidence, CrossEvidence] = [
    { resets: new Map(), silentDrops: new Map() },
    { resets: new Map(), silentDrops: new Map() },
  ];
  const fileA = a.file;
  const fileB = b.file;
  const tailsA = ta.unansweredTails();
  const tailsB = tb.unansweredTails();
  const tolNs = sameTimeToleranceNs(offset?.uncertainty ?? NaN);
  for (const [ca, cb] of pairs) {
    testify(ta, tb, ca, cb, evA, evB, tailsA, offset?.offset ?? 0, tolNs, fileB, captureEndNs(b), lossOf(b, cb), cross[0]);
    testify(tb, ta, cb, ca, evB, evA, tailsB, -(offset?.offset ?? 0), tolNs, fileA, captureEndNs(a), lossOf(a, ca), cross[1]);
  }
  return {
    comparison: {
      files: [fileA, fileB],
      matched: pairs.map(([x, y]) => [ta.store.id(x), tb.store.id(y)]),
      matchedBy: pairs.length === 0 ? 'none' : viaIsn === pairs.length ? 'isn' : viaIsn === 0 ? 'tuple' : 'mixed',
      nat,
      clockOffsetS: offset ? offset.offset / 1e9 : null,
      clockUncertaintyS: offset ? offset.uncertainty / 1e9 : null,
    },
    cross,
  };
}

/**
 * Why a capture cannot prove that a packet of connection `c` is absent from
 * it, or null: its capture tool counted drops (pcapng interface
 * statistics), or the connection has sequence holes (segments it missed).
 * Absence is evidence only from a capture that lost nothing.
 */
function lossOf(a: CaptureAnalysis, c: number): string | null {
  const reported = a.summary?.dropsReported ?? 0;
  if (reported > 0) return `${a.file} lost ${reported} packet${reported === 1 ? '' : 's'} by its capture tool's own count`;
  const holes = a.tracker.store.captureGaps(c);
  if (holes > 0) return `${a.file} missed ${holes === 1 ? 'a segment' : `${holes} segments`} of this connection (sequence holes)`;
  return null;
}

function captureEndNs(a: CaptureAnalysis): number {
  return (a.lastFrameSec - 1.7e9) * 1e9 + a.lastFrameNsec;
}

/** Absolute ns of a tracker-relative time, as a float (ns precision is not needed for clock offsets). */
function absNs(t: TcpTracker, rel: number): number {
  return (t.baseSec - 1.7e9) * 1e9 + t.baseNsec + rel;
}

/**
 * B's clock minus A's: packets going one way arrive "late" by the one-way
 * delay, packets going the other way "early"; the middle of the two is the
 * offset, half their distance its uncertainty.
 */
function estimateOffset(
  a: CaptureAnalysis,
  b: CaptureAnalysis,
  pairs: Array<[number, number]>,
  evA: ConnectionEvents,
  evB: ConnectionEvents,
): { offset: number; uncertainty: number } | null {
  const deltas: [number[], number[]] = [[], []];
  for (const [ca, cb] of pairs) {
    // The connection's first packet (normally the SYN) is seen by both: a first guess of the offset.
    const first = absNs(b.tracker, b.tracker.store.firstTimeNs(cb)) - absNs(a.tracker, a.tracker.store.firstTimeNs(ca));
    deltas[0].push(first);
    // Keepalive probes (and other repeats) share direction, seq, ack and length: each key's packets, in time order.
    const inB = new Map<string, { times: number[]; next: number }>();
    for (const j of evB.of(cb)) {
      const key = packetKey(evB.log, j);
      let list = inB.get(key);
      if (!list) inB.set(key, (list = { times: [], next: 0 }));
      list.times.push(absNs(b.tracker, evB.log.time(j)));
    }
    for (const i of evA.of(ca)) {
      const list = inB.get(packetKey(evA.log, i));
      if (!list || list.next >= list.times.length) continue;
      // Its twin is the one of that key nearest where the first guess puts it; each twin pairs once, in order.
      const tA = absNs(a.tracker, evA.log.time(i));
      const want = tA + first;
      const t = list.times;
      while (list.next + 1 < t.length && Math.abs(t[list.next + 1]! - want) <= Math.abs(t[list.next]! - want)) list.next++;
      deltas[evA.log.dir(i)]!.push(t[list.next]! - tA);
      list.next++;
    }
  }
  if (deltas[0].length === 0) return null;
  if (deltas[1].length === 0) return { offset: median(deltas[0]), uncertainty: NaN };
  const m0 = median(deltas[0]);
  const m1 = median(deltas[1]);
  return { offset: (m0 + m1) / 2, uncertainty: Math.abs(m0 - m1) / 2 };
}

/** With no second direction to bound the offset's error, a packet must be within this of its twin. */
const UNBOUNDED_TOLERANCE_NS = 1e9;
/** The floor: one-way delay and the capture tools' own stamping jitter. */
const MIN_TOLERANCE_NS = 50e6;

/**
 * How far apart, after the clock offset, the two captures may stamp one
 * packet: a few times the offset's uncertainty (itself about the one-way
 * delay), never under MIN_TOLERANCE_NS, never over UNBOUNDED_TOLERANCE_NS.
 */
export function sameTimeToleranceNs(uncertaintyNs: number): number {
  if (!Number.isFinite(uncertaintyNs)) return UNBOUNDED_TOLERANCE_NS;
  return Math.min(UNBOUNDED_TOLERANCE_NS, Math.max(MIN_TOLERANCE_NS, 4 * uncertaintyNs));
}

/**
 * Whether `there` (in the claimed sender's own capture) is the packet `here`
 * arrived as: stamped at the same moment, and nothing a packet keeps on its
 * way differs (IPv4 ID, flags, the timestamps option), and its TTL, which
 * only falls on the way, no lower at the sender. Never the sequence number
 * alone: a socket's own later RST (an application abort) carries the same
 * one as a middlebox's forgery of it.
 */
export function sameRst(here: ResetContext, there: ResetContext, hereNs: number, thereNs: number, tolNs: number): boolean {
  if (Math.abs(thereNs - hereNs) > tolNs) return false;
  if (here.ipId >= 0 && there.ipId >= 0 && here.ipId !== there.ipId) return false;
  if (here.withAck !== there.withAck || here.hasTimestamps !== there.hasTimestamps) return false;
  return there.ttl >= here.ttl;
}

/** What capture `other` (taken at one end) says about connection `c` of capture `self`. */
function testify(
  self: TcpTracker,
  other: TcpTracker,
  c: number,
  o: number,
  evSelf: ConnectionEvents,
  evOther: ConnectionEvents,
  tailsSelf: UnansweredTails,
  offsetNs: number,
  /** sameTimeToleranceNs of the clock offset. */
  tolNs: number,
  otherFile: string,
  otherEnd: number,
  /** Why the other capture cannot prove an absence (lossOf), or null. */
  otherLoss: string | null,
  out: CrossEvidence,
): void {
  const otherFacts = connectionFacts(other, o);
  // RSTs: does the claimed sender's own capture show it sending them?
  for (const rst of self.resets) {
    if (rst.conn !== c) continue;
    const senderDir = rst.dir;
    if (!otherFacts.dirs[senderDir]!.isLocal) continue; // the other capture is not at the claimed sender
    const when = absNs(self, rst.time) + offsetNs;
    const sent = other.resets.find((r) => r.conn === o && r.dir === senderDir && sameRst(rst, r, when, absNs(other, r.time), tolNs));
    const ev: Evidence = sent
      ? {
          signal: 'two-sided',
          pointsTo: 'peer',
          strength: 'decisive',
          detail: `${otherFile}, captured on the ${side(senderDir)} itself, shows it sending this RST (frame ${sent.frame})`,
        }
      : when <= otherEnd && otherLoss !== null
        ? {
            signal: 'two-sided',
            pointsTo: 'middlebox',
            strength: 'medium',
            detail: `${otherFile}, captured on the ${side(senderDir)} itself and still running at that time, has no such RST`,
            caveat: `${otherLoss}: the RST may be among what it missed; a capture that loses nothing (--capture-with kad-capture reports its drops) makes this decisive`,
          }
        : when <= otherEnd
          ? {
              signal: 'two-sided',
              pointsTo: 'middlebox',
              strength: 'decisive',
              detail: `${otherFile}, captured on the ${side(senderDir)} itself and still running at that time, has no such RST: the ${side(senderDir)} never sent it`,
            }
          : {
              signal: 'two-sided',
              pointsTo: 'middlebox',
              strength: 'medium',
              detail: `${otherFile}, captured on the ${side(senderDir)} itself, has no such RST`,
              caveat: `that capture has no packet after this moment, so it may have stopped before the reset; keep it running past the incident to make this decisive`,
            };
    const list = out.resets.get(rst.frame) ?? [];
    list.push(ev);
    out.resets.set(rst.frame, list);
  }
  // Silences: did the unanswered packets reach the other end, and did it answer?
  const drop = findSilentDrop(self, tailsSelf, c, false);
  if (!drop) return;
  const x = drop.sender === 'client' ? 0 : 1;
  if (!otherFacts.dirs[x ^ 1]!.isLocal) return; // we need the silent side's own capture
  const wanted = new Set<string>();
  for (const i of evSelf.of(c))
    if (evSelf.log.frame(i) >= drop.firstFrame && evSelf.log.frame(i) <= drop.lastFrame && evSelf.log.dir(i) === x)
      wanted.add(packetKey(evSelf.log, i));
  let arrivedLast = -1;
  let arrived = 0;
  for (const j of evOther.of(o)) {
    if (wanted.has(packetKey(evOther.log, j))) {
      arrived++;
      arrivedLast = evOther.log.frame(j);
    }
  }
  const peer = x === 0 ? 'server' : 'client';
  if (arrived === 0 && otherLoss !== null) {
    // Not arriving is an absence: a capture that lost packets cannot tell a black hole from its own losses.
    out.silentDrops.set(self.store.id(c), {
      kind: 'unanswered',
      evidence: `${otherFile}, captured on the ${peer}, shows none of them arriving, but ${otherLoss.replace(`${otherFile} `, 'it ')}: that does not settle whether the path dropped them`,
    });
  } else if (arrived === 0) {
    out.silentDrops.set(self.store.id(c), {
      kind: 'black-hole',
      evidence: `${otherFile}, captured on the ${peer}, shows none of them arriving: the path dropped them`,
    });
  } else if (other.store.lastFrame(o, x ^ 1) > arrivedLast) {
    out.silentDrops.set(self.store.id(c), {
      kind: 'black-hole',
      evidence: `${otherFile} shows ${arrived} of them arriving and the ${peer} answering: the answers were lost on the way back`,
    });
  } else {
    out.silentDrops.set(self.store.id(c), {
      kind: 'dead-peer',
      evidence: `${otherFile} shows ${arrived} of them reaching the ${peer}, which never answered`,
    });
  }
}

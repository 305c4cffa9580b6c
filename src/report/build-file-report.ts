import { endpointText } from '../util/ip-text.js';
import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import { skippedCounts } from '../analyze/skipped-counts.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { relTimeText } from '../track/time-base.js';
import type { CaptureDiagnosis } from '../diagnose/diagnose-capture.js';
import { withRecommendation } from '../recommend/bracket-recommendation.js';
import type {
  ConnectionCounts,
  ConnectionDiagnosis,
  ConnectionEndKind,
  ConnectionReport,
  DirectionStats,
  FileReport,
} from '../model/analysis-report.js';
import { CONNECTION_END_KINDS } from '../model/analysis-report.js';
import { ProblemGroupTally } from './problem-groups.js';
import { SetupPathTally } from './setup-paths.js';
import { connId, diagnosisId, mergeById, type RetiredTally } from './retired-tally.js';

/** Which connections a report shows; ids are stable whatever the filter (like tcp.stream). */
export interface ConnectionFilter {
  ports?: number[];
  /** Address texts as formatted in reports (normalised IPv6). */
  hosts?: string[];
  /** 1-based connection ids. */
  ids?: number[];
}

/** Whether the filter lets through fewer than all connections (any of its lists is non-empty). */
export function narrows(filter: ConnectionFilter): boolean {
  return Boolean(filter.ports?.length || filter.hosts?.length || filter.ids?.length);
}

function directionStats(tracker: TcpTracker, c: number, d: number): DirectionStats {
  const s = tracker.store;
  const pkts = s.packets(c, d);
  return {
    packets: pkts,
    bytes: s.bytes(c, d),
    payloadBytes: s.payloadBytes(c, d),
    keepalives: s.keepalives(c, d),
    keepaliveAcks: s.keepaliveAcks(c, d),
    retransmissions: s.retransmissions(c, d),
    zeroWindowProbes: s.zeroWindowProbes(c, d),
    fins: s.sentFin(c, d) ? 1 : 0,
    rsts: s.rsts(c, d),
    ttl: pkts > 0 ? { first: s.ttlFirst(c, d), min: s.ttlMin(c, d), max: s.ttlMax(c, d) } : null,
    synOptions: s.synSeen(c, d)
      ? { mss: s.mss(c, d), wscale: s.wscale(c, d), sackPerm: s.sackPermitted(c, d), timestamps: s.timestamps(c, d) }
      : null,
  };
}

/** FINs and RSTs are always in the event log, so the end time is found there rather than stored per connection. */
function endTimeText(tracker: TcpTracker, frame: number): string | null {
  const i = tracker.events.indexOfFrame(frame);
  return i < 0 ? null : relTimeText(tracker, tracker.events.time(i));
}

export function connectionReport(tracker: TcpTracker, c: number): ConnectionReport {
  const s = tracker.store;
  const ipv6 = s.isIpv6(c);
  const endKind = s.endKind(c);
  // Open and no-answer connections were not ended by a packet: no side, frame or time.
  const hasEndEvent = endKind !== 'open' && endKind !== 'no-answer';
  const c2s = directionStats(tracker, c, 0);
  const s2c = directionStats(tracker, c, 1);
  const maxIdle = s.maxIdleNs(c);
  const rtt = s.rttNs(c);
  const setupNs = s.setupNs(c);
  return {
    id: s.id(c),
    client: { addr: s.address(c, 0), port: s.port(c, 0) },
    server: { addr: s.address(c, 1), port: s.port(c, 1) },
    ipVersion: ipv6 ? 6 : 4,
    midStream: s.midStream(c),
    firstFrame: s.firstFrame(c),
    lastFrame: Math.max(s.lastFrame(c, 0), s.lastFrame(c, 1)),
    start: relTimeText(tracker, s.firstTimeNs(c)),
    end: relTimeText(tracker, s.lastTimeNs(c)),
    durationS: (s.lastTimeNs(c) - s.firstTimeNs(c)) / 1e9,
    handshakeRttS: rtt !== null ? rtt / 1e9 : null,
    setup: {
      synRetransmissions: s.synRetransmissions(c, 0),
      synAckRetransmissions: s.synRetransmissions(c, 1),
      setupS: setupNs !== null ? setupNs / 1e9 : null,
    },
    longestIdleS: maxIdle / 1e9,
    longestIdleEndFrame: maxIdle > 0 ? s.maxIdleFrame(c) : null,
    keepalives: { sent: c2s.keepalives + s2c.keepalives, answered: c2s.keepaliveAcks + s2c.keepaliveAcks },
    captureGaps: s.captureGaps(c),
    duplicates: s.duplicates(c),
    c2s,
    s2c,
    ended: {
      kind: endKind,
      by: hasEndEvent ? (s.endedBySideB(c) ? 'server' : 'client') : null,
      frame: hasEndEvent ? s.endFrame(c) : null,
      ts: hasEndEvent ? endTimeText(tracker, s.endFrame(c)) : null,
    },
  };
}

/**
 * The one filter rule, for reports and for --events alike: a connection (or a
 * packet of it) passes when it matches every filter given.
 */
export function passesFilter(filter: ConnectionFilter, id: number, portA: number, portB: number, addrA: string, addrB: string): boolean {
  return (
    (!filter.ids?.length || filter.ids.includes(id)) &&
    (!filter.ports?.length || filter.ports.includes(portA) || filter.ports.includes(portB)) &&
    (!filter.hosts?.length || filter.hosts.includes(addrA) || filter.hosts.includes(addrB))
  );
}

/** passesFilter straight from the store: addresses are formatted only when a --host filter needs them. */
function connectionPasses(t: TcpTracker, filter: ConnectionFilter, c: number): boolean {
  const s = t.store;
  let a = '';
  let b = '';
  if (filter.hosts?.length) {
    a = s.address(c, 0);
    b = s.address(c, 1);
  }
  return passesFilter(filter, s.id(c), s.port(c, 0), s.port(c, 1), a, b);
}

/**
 * The connections an operator is looking for: ended abnormally, or showed
 * keepalive or retransmission trouble (a verdict makes any connection one too).
 */
export function isProblem(c: Pick<ConnectionReport, 'ended' | 'keepalives' | 'c2s' | 's2c'>): boolean {
  return problemFacts(c.ended.kind, c.keepalives.sent, c.keepalives.answered, c.c2s.retransmissions + c.s2c.retransmissions);
}

function problemFacts(end: ConnectionEndKind, keepalives: number, answered: number, retransmissions: number): boolean {
  return end === 'reset' || end === 'rejected' || end === 'no-answer' || keepalives > answered || retransmissions > 0;
}

function isProblemInStore(t: TcpTracker, c: number, end: ConnectionEndKind): boolean {
  const s = t.store;
  return problemFacts(
    end,
    s.keepalives(c, 0) + s.keepalives(c, 1),
    s.keepaliveAcks(c, 0) + s.keepaliveAcks(c, 1),
    s.retransmissions(c, 0) + s.retransmissions(c, 1),
  );
}

/** The connections (0-based ids, in order) that pass the filter. */
export function selectConnections(analysis: CaptureAnalysis, filter: ConnectionFilter): number[] {
  const t = analysis.tracker;
  const ids = filter.ids && filter.ids.length > 0 ? filter.ids.map((id) => t.store.indexOfId(id)).filter((c) => c >= 0) : null;
  const selected: number[] = [];
  if (ids !== null) {
    for (const c of ids) if (connectionPasses(t, filter, c)) selected.push(c);
  } else {
    const n = t.connectionCount;
    const all = !filter.ports?.length && !filter.hosts?.length;
    for (let c = 0; c < n; c++) if (all || connectionPasses(t, filter, c)) selected.push(c);
  }
  return selected;
}

interface HeldTally {
  counts: ConnectionCounts;
  endFirstId: Map<ConnectionEndKind, number>;
  /** Indexes of the first `listLimit` problem and other connections. */
  problems: number[];
  others: number[];
  /** Verdicts of the connections that pass the filter, as decided (not yet worded). */
  diagnoses: ConnectionDiagnosis[];
  setupPaths: SetupPathTally;
}

/**
 * Counts the held connections that pass the filter (with `only`, those whose
 * byte there is 1) and picks the ones a report lists: the first `listLimit`
 * problems and others, by id. The one definition of what a report counts,
 * for the report itself and for connections about to be evicted.
 */
function tallyHeld(
  analysis: CaptureAnalysis,
  filter: ConnectionFilter,
  diagnosis: CaptureDiagnosis | undefined,
  listLimit: number,
  only?: Uint8Array,
): HeldTally {
  const t = analysis.tracker;
  const store = t.store;
  let selected = selectConnections(analysis, filter);
  if (only !== undefined) selected = selected.filter((c) => only[c] === 1);
  // Flags by connection index rather than sets: a busy capture has 100 k connections.
  const shown = new Uint8Array(t.connectionCount);
  for (let i = 0; i < selected.length; i++) shown[selected[i]!] = 1;
  const all = diagnosis?.diagnoses ?? [];
  const at = diagnosisIndexes(t, all);
  const diagnoses: ConnectionDiagnosis[] = [];
  const diagnosed = new Uint8Array(t.connectionCount);
  const setupFailed = new Map<number, ConnectionDiagnosis>();
  for (let i = 0; i < all.length; i++) {
    const c = at[i]!;
    if (c < 0 || shown[c] !== 1) continue;
    const d = all[i]!;
    diagnoses.push(d);
    diagnosed[c] = 1;
    if (d.setup) setupFailed.set(d.conn, d);
  }
  const setupPaths = new SetupPathTally();

  const counts: ConnectionCounts = { total: selected.length, byEnd: {}, problems: 0, others: 0 };
  // Counted by kind in plain arrays, then written in order of first appearance: a keyed count per connection cost more than the rest of the loop.
  const endCounts = new Float64Array(CONNECTION_END_KINDS.length);
  const endFirst = new Float64Array(CONNECTION_END_KINDS.length);
  const endOrder: number[] = [];
  const problems: number[] = [];
  const others: number[] = [];
  // Indexed loops here and above: an array iterator allocates a result per connection until the loop is optimised.
  for (let i = 0; i < selected.length; i++) {
    const c = selected[i]!;
    const synRetries = store.synRetransmissions(c, 0);
    const synAckRetries = store.synRetransmissions(c, 1);
    const failed = setupFailed.size > 0 ? setupFailed.get(store.id(c)) : undefined;
    if (synRetries + synAckRetries > 0 || failed) {
      const path = failed?.path ?? endpointText({ addr: store.address(c, 1), port: store.port(c, 1) });
      setupPaths.add(path, store.id(c), synRetries, synAckRetries, failed?.setup?.kind ?? null);
    }
    const end = store.endKind(c);
    const k = CONNECTION_END_KINDS.indexOf(end);
    if (endCounts[k]!++ === 0) {
      endOrder.push(k);
      endFirst[k] = store.id(c);
    }
    if (diagnosed[c] === 1 || isProblemInStore(t, c, end)) {
      counts.problems++;
      if (problems.length < listLimit) problems.push(c);
    } else {
      counts.others++;
      if (others.length < listLimit) others.push(c);
    }
  }
  const endFirstId = new Map<ConnectionEndKind, number>();
  for (const k of endOrder) {
    counts.byEnd[CONNECTION_END_KINDS[k]!] = endCounts[k]!;
    endFirstId.set(CONNECTION_END_KINDS[k]!, endFirst[k]!);
  }
  return { counts, endFirstId, problems, others, diagnoses, setupPaths };
}

/**
 * The index of each diagnosis's connection (-1: not held). Diagnoses come in
 * id order, like the records: one forward walk finds them all, where a binary
 * search per diagnosis missed the cache at every step.
 */
function diagnosisIndexes(t: TcpTracker, diagnoses: readonly ConnectionDiagnosis[]): Int32Array {
  const store = t.store;
  const n = t.connectionCount;
  const out = new Int32Array(diagnoses.length);
  let c = 0;
  let last = -Infinity;
  for (let i = 0; i < diagnoses.length; i++) {
    const id = diagnoses[i]!.conn;
    if (id < last) {
      out[i] = store.indexOfId(id);
      continue;
    }
    last = id;
    while (c < n && store.id(c) < id) c++;
    out[i] = c < n && store.id(c) === id ? c : -1;
  }
  return out;
}

/**
 * Tallies the connections marked in `only` into `retired` before the
 * tracker forgets them: counts, problem groups, idle periods by path and
 * time span, and in full the connections a report could still list, with
 * their worded verdicts. `diagnosis` is of the tracker as it holds them now.
 */
export function retireConnections(
  analysis: CaptureAnalysis,
  filter: ConnectionFilter,
  diagnosis: CaptureDiagnosis,
  only: Uint8Array,
  retired: RetiredTally,
): void {
  const t = analysis.tracker;
  const store = t.store;
  const held = tallyHeld(analysis, filter, diagnosis, retired.keep, only);
  const c = retired.counts;
  c.total += held.counts.total;
  c.problems += held.counts.problems;
  c.others += held.counts.others;
  for (const [end, n] of Object.entries(held.counts.byEnd) as [ConnectionEndKind, number][]) {
    c.byEnd[end] = (c.byEnd[end] ?? 0) + n;
    const first = held.endFirstId.get(end)!;
    if (!(retired.endFirstId.get(end)! <= first)) retired.endFirstId.set(end, first);
  }
  const keptProblems = new Set<number>();
  for (const p of held.problems) {
    const r = connectionReport(t, p);
    if (retired.keepProblem(r)) keptProblems.add(r.id);
  }
  for (const o of held.others) retired.keepOther(connectionReport(t, o));
  const worded: ConnectionDiagnosis[] = [];
  for (const d of held.diagnoses) {
    retired.groups.add(d);
    if (keptProblems.has(d.conn)) worded.push(diagnosis.explainConnection(d.conn) ?? d);
    else retired.diagnosesNotKept++;
  }
  retired.keepDiagnoses(worded);
  retired.setupPaths.merge(held.setupPaths);
  // Idle periods, RST counts and the time span cover every connection, filtered or not, as for held ones.
  retired.addPaths(diagnosis.pathTallies(only));
  for (const d of diagnosis.diagnoses) {
    if (only[store.indexOfId(d.conn)] !== 1) continue;
    for (const r of d.resets) retired.resetsBy[r.attribution] = (retired.resetsBy[r.attribution] ?? 0) + 1;
  }
  for (let i = 0; i < t.connectionCount; i++) {
    if (only[i] !== 1) continue;
    retired.evicted++;
    retired.keepalivesSent += store.keepalives(i, 0) + store.keepalives(i, 1);
    retired.keepalivesAnswered += store.keepaliveAcks(i, 0) + store.keepaliveAcks(i, 1);
    retired.captureGaps += store.captureGaps(i);
    retired.firstNs = Math.min(retired.firstNs, store.firstTimeNs(i));
    retired.lastNs = Math.max(retired.lastNs, store.lastTimeNs(i));
  }
}

/** byEnd of held and retired connections together, kinds in order of first appearance. */
function mergedByEnd(held: HeldTally, retired: RetiredTally): ConnectionCounts['byEnd'] {
  const firsts = new Map(retired.endFirstId);
  for (const [end, id] of held.endFirstId) if (!(firsts.get(end)! <= id)) firsts.set(end, id);
  const out: ConnectionCounts['byEnd'] = {};
  for (const [end] of [...firsts].sort((a, b) => a[1] - b[1])) out[end] = (held.counts.byEnd[end] ?? 0) + (retired.counts.byEnd[end] ?? 0);
  return out;
}

/**
 * Every connection a report carries (the filter's, in id order): the held
 * ones, built one at a time as they are asked for, merged with what was kept
 * of evicted ones.
 */
export function* reportedConnections(
  analysis: CaptureAnalysis,
  filter: ConnectionFilter,
  retired?: RetiredTally,
): Generator<ConnectionReport> {
  const kept = retired ? mergeById(retired.problems, retired.others, connId) : [];
  let k = 0;
  for (const c of selectConnections(analysis, filter)) {
    const r = connectionReport(analysis.tracker, c);
    while (k < kept.length && kept[k]!.id < r.id) yield kept[k++]!;
    yield r;
  }
  while (k < kept.length) yield kept[k++]!;
}

/**
 * The server endpoints ("addr:port", the paths of idle-timeout inference)
 * of the connections a filter lets through; null without a filter.
 */
function filteredPaths(analysis: CaptureAnalysis, filter: ConnectionFilter, retired?: RetiredTally): Set<string> | null {
  if (!narrows(filter)) return null;
  const s = analysis.tracker.store;
  const paths = new Set<string>();
  for (const c of selectConnections(analysis, filter)) paths.add(endpointText({ addr: s.address(c, 1), port: s.port(c, 1) }));
  for (const r of retired?.problems ?? []) paths.add(endpointText(r.server));
  for (const r of retired?.others ?? []) paths.add(endpointText(r.server));
  return paths;
}

/**
 * The report of one capture. With `listLimit`, only that many connections
 * are built (problems first, like the text report shows them): a busy
 * capture has 100 k connections and a terminal shows 200. With `retired`,
 * the connections evicted earlier count too (see retireConnections).
 */
export function buildFileReport(
  analysis: CaptureAnalysis,
  filter: ConnectionFilter = {},
  diagnosis?: CaptureDiagnosis,
  listLimit?: number,
  retired?: RetiredTally,
): FileReport {
  const t = analysis.tracker;
  const held = tallyHeld(analysis, filter, diagnosis, listLimit ?? Infinity);
  const diagnoses = held.diagnoses;
  let connections: ConnectionReport[];
  let listedIds: Set<number> | null = null;
  if (listLimit === undefined) {
    connections = [...reportedConnections(analysis, filter, retired)];
  } else {
    const problems = mergeById(
      retired?.problems ?? [],
      held.problems.map((c) => connectionReport(t, c)),
      connId,
    ).slice(0, listLimit);
    const others = mergeById(
      retired?.others ?? [],
      held.others.map((c) => connectionReport(t, c)),
      connId,
    ).slice(0, Math.max(0, listLimit - problems.length));
    connections = [...problems, ...others];
    listedIds = new Set(connections.map(connId));
  }
  if (diagnosis && listedIds !== null) {
    // Diagnoses may have been decided without words: write out those of the listed connections.
    for (let i = 0; i < diagnoses.length; i++) {
      if (listedIds.has(diagnoses[i]!.conn)) diagnoses[i] = diagnosis.explainConnection(diagnoses[i]!.conn) ?? diagnoses[i]!;
    }
  }
  const groups = new ProblemGroupTally();
  for (const d of diagnoses) groups.add(d);
  if (retired) groups.merge(retired.groups);

  let firstNs = retired?.firstNs ?? Infinity;
  let lastNs = retired?.lastNs ?? -Infinity;
  if (t.connectionCount > 0) {
    const span = t.timeSpan();
    firstNs = Math.min(firstNs, span.firstNs);
    lastNs = Math.max(lastNs, span.lastNs);
  }
  const haveTcp = firstNs !== Infinity;
  const counts = retired
    ? {
        total: held.counts.total + retired.counts.total,
        byEnd: mergedByEnd(held, retired),
        problems: held.counts.problems + retired.counts.problems,
        others: held.counts.others + retired.counts.others,
      }
    : held.counts;
  const allPaths = retired ? retired.idleTimeoutsWith(diagnosis?.pathTallies() ?? new Map()) : (diagnosis?.idleTimeouts ?? []);
  const shownPaths = filteredPaths(analysis, filter, retired);
  // A filter narrows the paths (and so their recommendations) to those of the connections it lets through.
  const decoded = t.decodeTally();
  const idleTimeouts = shownPaths === null ? allPaths : allPaths.filter((p) => shownPaths.has(p.path));
  return {
    file: analysis.file,
    format: analysis.summary?.format ?? 'pcap',
    gzip: analysis.summary?.gzip ?? false,
    frames: analysis.frames,
    tcpPackets: analysis.tcpPackets,
    skipped: skippedCounts(analysis),
    duplicateFrames: t.duplicateFrames,
    arrivalTimestamps: analysis.arrivalTimestamps,
    ipLengthBeyondFrame: decoded.ipLengthBeyondFrame,
    tunnels: decoded.tunnels,
    firstTs: haveTcp ? relTimeText(t, firstNs) : null,
    lastTs: haveTcp ? relTimeText(t, lastNs) : null,
    error: analysis.error ? analysis.error.message : null,
    connections,
    connectionCounts: counts,
    diagnoses: retired ? mergeById(retired.diagnoses, diagnoses, diagnosisId) : diagnoses,
    problemGroups: groups.groups(),
    idleTimeouts: idleTimeouts.map(withRecommendation),
    setupByPath: (retired ? new SetupPathTally().merge(retired.setupPaths).merge(held.setupPaths) : held.setupPaths).paths(),
    evicted:
      retired && retired.evicted > 0
        ? {
            connections: retired.evicted,
            listed: retired.problems.length + retired.others.length,
            diagnosesNotKept: retired.diagnosesNotKept,
          }
        : null,
  };
}

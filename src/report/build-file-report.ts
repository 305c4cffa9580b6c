import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import { skippedCounts } from '../analyze/skipped-counts.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { relTimeText } from '../track/time-base.js';
import type { CaptureDiagnosis } from '../diagnose/diagnose-capture.js';
import { withRecommendation } from '../recommend/bracket-recommendation.js';
import type { ConnectionCounts, ConnectionEndKind, ConnectionReport, DirectionStats, FileReport } from '../model/analysis-report.js';

/** Which connections a report shows; ids are stable whatever the filter (like tcp.stream). */
export interface ConnectionFilter {
  ports?: number[];
  /** Address texts as formatted in reports (normalised IPv6). */
  hosts?: string[];
  /** 1-based connection ids. */
  ids?: number[];
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
    longestIdleS: maxIdle / 1e9,
    longestIdleEndFrame: maxIdle > 0 ? s.maxIdleFrame(c) : null,
    keepalives: { sent: c2s.keepalives + s2c.keepalives, answered: c2s.keepaliveAcks + s2c.keepaliveAcks },
    captureGaps: s.captureGaps(c),
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

/**
 * The report of one capture. With `listLimit`, only that many connections
 * are built (problems first, like the text report shows them): a busy
 * capture has 100 k connections and a terminal shows 200.
 */
export function buildFileReport(
  analysis: CaptureAnalysis,
  filter: ConnectionFilter = {},
  diagnosis?: CaptureDiagnosis,
  listLimit?: number,
): FileReport {
  const t = analysis.tracker;
  const selected = selectConnections(analysis, filter);
  // Flags by connection id rather than sets: a busy capture has 100 k connections.
  const shown = new Uint8Array(t.connectionCount);
  for (const c of selected) shown[c] = 1;
  const diagnoses = (diagnosis?.diagnoses ?? []).filter((d) => shown[t.store.indexOfId(d.conn)] === 1);
  const diagnosed = new Uint8Array(t.connectionCount);
  for (const d of diagnoses) diagnosed[t.store.indexOfId(d.conn)] = 1;

  const counts: ConnectionCounts = { total: selected.length, byEnd: {}, problems: 0, others: 0 };
  const problems: number[] = [];
  const others: number[] = [];
  for (const c of selected) {
    const end = t.store.endKind(c);
    counts.byEnd[end] = (counts.byEnd[end] ?? 0) + 1;
    if (diagnosed[c] === 1 || isProblemInStore(t, c, end)) {
      counts.problems++;
      if (listLimit !== undefined && problems.length < listLimit) problems.push(c);
    } else {
      counts.others++;
      if (listLimit !== undefined && others.length < listLimit) others.push(c);
    }
  }
  const listed = listLimit === undefined ? selected : [...problems, ...others.slice(0, Math.max(0, listLimit - problems.length))];
  const connections = listed.map((c) => connectionReport(t, c));
  if (diagnosis && listLimit !== undefined) {
    // Diagnoses may have been decided without words: write out those of the listed connections.
    const isListed = new Set(listed.map((c) => t.store.id(c)));
    for (let i = 0; i < diagnoses.length; i++) {
      if (isListed.has(diagnoses[i]!.conn)) diagnoses[i] = diagnosis.explainConnection(diagnoses[i]!.conn) ?? diagnoses[i]!;
    }
  }
  const haveTcp = t.connectionCount > 0;
  let first: string | null = null;
  let last: string | null = null;
  if (haveTcp) {
    const span = t.timeSpan();
    first = relTimeText(t, span.firstNs);
    last = relTimeText(t, span.lastNs);
  }
  return {
    file: analysis.file,
    format: analysis.summary?.format ?? 'pcap',
    gzip: analysis.summary?.gzip ?? false,
    frames: analysis.frames,
    tcpPackets: analysis.tcpPackets,
    skipped: skippedCounts(analysis),
    firstTs: first,
    lastTs: last,
    error: analysis.error ? analysis.error.message : null,
    connections,
    connectionCounts: counts,
    diagnoses,
    idleTimeouts: (diagnosis?.idleTimeouts ?? []).map(withRecommendation),
  };
}

import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import { IP_FRAGMENT, MALFORMED, NOT_IP, NOT_TCP, TRUNCATED, UNKNOWN_LINK } from '../decode/decode-status.js';
import {
  B_DIR_FLAGS, B_END_INFO, B_TTL_FIRST, B_TTL_MAX, B_TTL_MIN, B_WSCALE, D_FIN, D_SACK_PERM, D_SYN_SEEN, D_TIMESTAMPS,
  END_FIN, END_HALF_CLOSED, END_NO_ANSWER, END_OPEN, END_REJECTED, END_RESET, F_BYTES, F_MAX_IDLE,
  F_PAYLOAD, F_SYN_OR_RTT, F_T_FIRST, F_T_LAST, H_MSS, H_PORT, H_RSTS, H_STATE, ST_IPV6, ST_MIDSTREAM,
  ST_RTT_KNOWN, STRIDE32, W_ADDR, W_END_FRAME, W_FIRST_FRAME, W_GAPS, W_KEEPALIVE_ACKS, W_KEEPALIVES, W_LAST_FRAME_DIR,
  W_MAX_IDLE_FRAME, W_PKTS, W_RETRANS, W_ZWPS,
} from '../track/connection-store.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { addressText } from '../util/ip-text.js';
import { relTimeText } from './time-base.js';
import type { CaptureDiagnosis } from '../diagnose/diagnose-capture.js';
import { withRecommendation } from '../recommend/bracket-recommendation.js';
import type { ConnectionCounts, ConnectionEndKind, ConnectionReport, DirectionStats, FileReport } from '../model/analysis-report.js';

const END_NAMES: Record<number, ConnectionEndKind> = {
  [END_OPEN]: 'open',
  [END_FIN]: 'fin',
  [END_HALF_CLOSED]: 'half-closed',
  [END_RESET]: 'reset',
  [END_REJECTED]: 'rejected',
  [END_NO_ANSWER]: 'no-answer',
};

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
  const pkts = s.w(c, W_PKTS + d);
  const df = s.b(c, B_DIR_FLAGS + d);
  return {
    packets: pkts,
    bytes: s.f(c, F_BYTES + d),
    payloadBytes: s.f(c, F_PAYLOAD + d),
    keepalives: s.w(c, W_KEEPALIVES + d),
    keepaliveAcks: s.w(c, W_KEEPALIVE_ACKS + d),
    retransmissions: s.w(c, W_RETRANS + d),
    zeroWindowProbes: s.w(c, W_ZWPS + d),
    fins: (df & D_FIN) !== 0 ? 1 : 0,
    rsts: s.h(c, H_RSTS + d),
    ttl: pkts > 0 ? { first: s.b(c, B_TTL_FIRST + d), min: s.b(c, B_TTL_MIN + d), max: s.b(c, B_TTL_MAX + d) } : null,
    synOptions:
      (df & D_SYN_SEEN) !== 0
        ? {
            mss: s.h(c, H_MSS + d) > 0 ? s.h(c, H_MSS + d) : null,
            wscale: s.b(c, B_WSCALE + d) !== 255 ? s.b(c, B_WSCALE + d) : null,
            sackPerm: (df & D_SACK_PERM) !== 0,
            timestamps: (df & D_TIMESTAMPS) !== 0,
          }
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
  const st = s.h(c, H_STATE);
  const ipv6 = (st & ST_IPV6) !== 0;
  const endKind = tracker.endKind(c);
  const endInfo = s.b(c, B_END_INFO);
  const hasEndEvent = endKind === END_FIN || endKind === END_HALF_CLOSED || endKind === END_RESET || endKind === END_REJECTED;
  const c2s = directionStats(tracker, c, 0);
  const s2c = directionStats(tracker, c, 1);
  const addr = c * STRIDE32 + W_ADDR;
  const maxIdle = s.f(c, F_MAX_IDLE);
  return {
    id: c + 1,
    client: { addr: addressText(s.u32, addr, ipv6), port: s.h(c, H_PORT) },
    server: { addr: addressText(s.u32, addr + 4, ipv6), port: s.h(c, H_PORT + 1) },
    ipVersion: ipv6 ? 6 : 4,
    midStream: (st & ST_MIDSTREAM) !== 0,
    firstFrame: s.w(c, W_FIRST_FRAME),
    lastFrame: Math.max(s.w(c, W_LAST_FRAME_DIR), s.w(c, W_LAST_FRAME_DIR + 1)),
    start: relTimeText(tracker, s.f(c, F_T_FIRST)),
    end: relTimeText(tracker, s.f(c, F_T_LAST)),
    durationS: (s.f(c, F_T_LAST) - s.f(c, F_T_FIRST)) / 1e9,
    handshakeRttS: (st & ST_RTT_KNOWN) !== 0 ? s.f(c, F_SYN_OR_RTT) / 1e9 : null,
    longestIdleS: maxIdle / 1e9,
    longestIdleEndFrame: maxIdle > 0 ? s.w(c, W_MAX_IDLE_FRAME) : null,
    keepalives: { sent: c2s.keepalives + s2c.keepalives, answered: c2s.keepaliveAcks + s2c.keepaliveAcks },
    captureGaps: s.w(c, W_GAPS),
    c2s,
    s2c,
    ended: {
      kind: END_NAMES[endKind]!,
      by: hasEndEvent ? ((endInfo & 0x80) !== 0 ? 'server' : 'client') : null,
      frame: hasEndEvent ? s.w(c, W_END_FRAME) : null,
      ts: hasEndEvent ? endTimeText(tracker, s.w(c, W_END_FRAME)) : null,
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
    const ipv6 = (s.h(c, H_STATE) & ST_IPV6) !== 0;
    a = addressText(s.u32, c * STRIDE32 + W_ADDR, ipv6);
    b = addressText(s.u32, c * STRIDE32 + W_ADDR + 4, ipv6);
  }
  return passesFilter(filter, c + 1, s.h(c, H_PORT), s.h(c, H_PORT + 1), a, b);
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
    s.w(c, W_KEEPALIVES) + s.w(c, W_KEEPALIVES + 1),
    s.w(c, W_KEEPALIVE_ACKS) + s.w(c, W_KEEPALIVE_ACKS + 1),
    s.w(c, W_RETRANS) + s.w(c, W_RETRANS + 1),
  );
}

/** Frames that were not decoded as TCP, by reason. */
export function skippedCounts(analysis: CaptureAnalysis): FileReport['skipped'] {
  const sc = analysis.statusCounts;
  return {
    unknownLinkType: sc[UNKNOWN_LINK]!,
    notIp: sc[NOT_IP]!,
    notTcp: sc[NOT_TCP]!,
    fragments: sc[IP_FRAGMENT]!,
    truncated: sc[TRUNCATED]!,
    malformed: sc[MALFORMED]!,
  };
}

/** "3 not ip, 1 truncated": the non-zero skip reasons in words. */
export function describeSkipped(skipped: FileReport['skipped']): string[] {
  return Object.entries(skipped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace(/[A-Z]/g, (m) => ' ' + m.toLowerCase())}`);
}

/** The connections (0-based ids, in order) that pass the filter. */
export function selectConnections(analysis: CaptureAnalysis, filter: ConnectionFilter): number[] {
  const t = analysis.tracker;
  const ids = filter.ids && filter.ids.length > 0 ? filter.ids.map((id) => id - 1).filter((c) => c < t.connectionCount) : null;
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
export function buildFileReport(analysis: CaptureAnalysis, filter: ConnectionFilter = {}, diagnosis?: CaptureDiagnosis, listLimit?: number): FileReport {
  const t = analysis.tracker;
  const selected = selectConnections(analysis, filter);
  // Flags by connection id rather than sets: a busy capture has 100 k connections.
  const shown = new Uint8Array(t.connectionCount + 1);
  for (const c of selected) shown[c + 1] = 1;
  const diagnoses = (diagnosis?.diagnoses ?? []).filter((d) => shown[d.conn] === 1);
  const diagnosed = new Uint8Array(t.connectionCount + 1);
  for (const d of diagnoses) diagnosed[d.conn] = 1;

  const counts: ConnectionCounts = { total: selected.length, byEnd: {}, problems: 0, others: 0 };
  const problems: number[] = [];
  const others: number[] = [];
  for (const c of selected) {
    const end = END_NAMES[t.endKind(c)]!;
    counts.byEnd[end] = (counts.byEnd[end] ?? 0) + 1;
    if (diagnosed[c + 1] === 1 || isProblemInStore(t, c, end)) {
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
    const isListed = new Set(listed.map((c) => c + 1));
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

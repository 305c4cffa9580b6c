import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import { IP_FRAGMENT, MALFORMED, NOT_IP, NOT_TCP, TRUNCATED, UNKNOWN_LINK } from '../decode/decode-status.js';
import {
  D_SACK_PERM, D_SYN_SEEN, D_TIMESTAMPS, END_FIN, END_HALF_CLOSED, END_NO_ANSWER, END_OPEN, END_REJECTED, END_RESET,
  ST_IPV6, ST_MIDSTREAM, ST_RTT_KNOWN,
} from '../track/connection-store.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { addressText } from '../util/ip-text.js';
import { epochText } from '../util/time-text.js';
import type { ConnectionEndKind, ConnectionReport, DirectionStats, FileReport } from './analysis-report.js';

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

export function relTimeText(tracker: TcpTracker, rel: number): string {
  const [sec, ns] = tracker.absolute(rel);
  return epochText(sec, ns);
}

function directionStats(tracker: TcpTracker, c: number, d: number): DirectionStats {
  const s = tracker.store;
  const i = c * 2 + d;
  const pkts = s.pkts[i]!;
  const df = s.dirFlags[i]!;
  return {
    packets: pkts,
    bytes: s.bytes[i]!,
    payloadBytes: s.payload[i]!,
    keepalives: s.keepalives[i]!,
    keepaliveAcks: s.keepaliveAcks[i]!,
    retransmissions: s.retrans[i]!,
    zeroWindowProbes: s.zwps[i]!,
    fins: s.fins[i]!,
    rsts: s.rsts[i]!,
    ttl: pkts > 0 ? { first: s.ttlFirst[i]!, min: s.ttlMin[i]!, max: s.ttlMax[i]! } : null,
    synOptions:
      (df & D_SYN_SEEN) !== 0
        ? {
            mss: s.mss[i]! > 0 ? s.mss[i]! : null,
            wscale: s.wscale[i]! >= 0 ? s.wscale[i]! : null,
            sackPerm: (df & D_SACK_PERM) !== 0,
            timestamps: (df & D_TIMESTAMPS) !== 0,
          }
        : null,
  };
}

export function connectionReport(tracker: TcpTracker, c: number): ConnectionReport {
  const s = tracker.store;
  const st = s.state[c]!;
  const ipv6 = (st & ST_IPV6) !== 0;
  const endKind = tracker.endKind(c);
  const endInfo = s.endInfo[c]!;
  const hasEndEvent = endKind === END_FIN || endKind === END_HALF_CLOSED || endKind === END_RESET || endKind === END_REJECTED;
  const c2s = directionStats(tracker, c, 0);
  const s2c = directionStats(tracker, c, 1);
  return {
    id: c + 1,
    client: { addr: addressText(s.addr, c * 8, ipv6), port: s.port[c * 2]! },
    server: { addr: addressText(s.addr, c * 8 + 4, ipv6), port: s.port[c * 2 + 1]! },
    ipVersion: ipv6 ? 6 : 4,
    midStream: (st & ST_MIDSTREAM) !== 0,
    firstFrame: s.firstFrame[c]!,
    lastFrame: s.lastFrame[c]!,
    start: relTimeText(tracker, s.tFirst[c]!),
    end: relTimeText(tracker, s.tLast[c]!),
    durationS: (s.tLast[c]! - s.tFirst[c]!) / 1e9,
    handshakeRttS: (st & ST_RTT_KNOWN) !== 0 ? s.synOrRtt[c]! / 1e9 : null,
    longestIdleS: s.maxIdle[c]! / 1e9,
    longestIdleEndFrame: s.maxIdle[c]! > 0 ? s.maxIdleFrame[c]! : null,
    keepalives: { sent: c2s.keepalives + s2c.keepalives, answered: c2s.keepaliveAcks + s2c.keepaliveAcks },
    captureGaps: s.gaps[c]!,
    c2s,
    s2c,
    ended: {
      kind: END_NAMES[endKind]!,
      by: hasEndEvent ? ((endInfo & 0x80) !== 0 ? 'server' : 'client') : null,
      frame: hasEndEvent ? s.endFrame[c]! : null,
      ts: hasEndEvent ? relTimeText(tracker, s.endTime[c]!) : null,
    },
  };
}

export function matchesFilter(conn: ConnectionReport, filter: ConnectionFilter): boolean {
  if (filter.ids && filter.ids.length > 0 && !filter.ids.includes(conn.id)) return false;
  if (filter.ports && filter.ports.length > 0 && !filter.ports.includes(conn.client.port) && !filter.ports.includes(conn.server.port)) {
    return false;
  }
  if (filter.hosts && filter.hosts.length > 0 && !filter.hosts.includes(conn.client.addr) && !filter.hosts.includes(conn.server.addr)) {
    return false;
  }
  return true;
}

export function buildFileReport(analysis: CaptureAnalysis, filter: ConnectionFilter = {}): FileReport {
  const t = analysis.tracker;
  const connections: ConnectionReport[] = [];
  for (let c = 0; c < t.connectionCount; c++) {
    const conn = connectionReport(t, c);
    if (matchesFilter(conn, filter)) connections.push(conn);
  }
  const sc = analysis.statusCounts;
  const haveTcp = t.connectionCount > 0;
  let first: string | null = null;
  let last: string | null = null;
  if (haveTcp) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < t.connectionCount; c++) {
      lo = Math.min(lo, t.store.tFirst[c]!);
      hi = Math.max(hi, t.store.tLast[c]!);
    }
    first = relTimeText(t, lo);
    last = relTimeText(t, hi);
  }
  return {
    file: analysis.file,
    format: analysis.summary?.format ?? 'pcap',
    gzip: analysis.summary?.gzip ?? false,
    frames: analysis.frames,
    tcpPackets: analysis.tcpPackets,
    skipped: {
      unknownLinkType: sc[UNKNOWN_LINK]!,
      notIp: sc[NOT_IP]!,
      notTcp: sc[NOT_TCP]!,
      fragments: sc[IP_FRAGMENT]!,
      truncated: sc[TRUNCATED]!,
      malformed: sc[MALFORMED]!,
    },
    firstTs: first,
    lastTs: last,
    error: analysis.error ? analysis.error.message : null,
    connections,
  };
}

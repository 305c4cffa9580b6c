import type { TcpTracker } from '../track/tcp-tracker.js';
import { estimateHops, ttlKnown, type HopEstimate } from './hop-count.js';

/** What diagnosis needs to know about one direction of a connection. */
export interface DirectionFacts {
  packets: number;
  rsts: number;
  /**
   * The direction's TTL and the hop count it implies: its data phase's (the first segment with payload),
   * else its first packet's; null when only RSTs were seen.
   */
  baselineTtl: number | null;
  baselineHops: HopEstimate | null;
  /**
   * TTL of the direction's SYN (or SYN-ACK) when it differs from the data phase's: something else, a SYN
   * proxy or L4 front end, answered the handshake. Null when they agree or either is unknown.
   */
  handshakeTtl: number | null;
  ttlVaries: boolean;
  /** Hop count 0: the capture was taken on this side's own host. */
  isLocal: boolean;
  dataAfterRst: number;
}

export interface ConnectionFacts {
  conn: number;
  ipv6: boolean;
  rttNs: number | null;
  timestampsNegotiated: boolean;
  dirs: [DirectionFacts, DirectionFacts];
}

/** Facts to be filled by connectionFacts: one set can serve every connection of a capture in turn. */
export function blankFacts(): ConnectionFacts {
  const dir = (): DirectionFacts => ({
    packets: 0,
    rsts: 0,
    baselineTtl: null,
    baselineHops: null,
    handshakeTtl: null,
    ttlVaries: false,
    isLocal: false,
    dataAfterRst: 0,
  });
  return { conn: -1, ipv6: false, rttNs: null, timestampsNegotiated: false, dirs: [dir(), dir()] };
}

/**
 * The facts of connection c, written into `into` (a fresh set by default):
 * diagnosis passes one set for all its reset connections, which keep none of it.
 */
export function connectionFacts(tracker: TcpTracker, c: number, into: ConnectionFacts = blankFacts()): ConnectionFacts {
  const s = tracker.store;
  into.conn = c;
  into.ipv6 = s.isIpv6(c);
  into.rttNs = s.rttNs(c);
  into.timestampsNegotiated = s.timestamps(c, 0) && s.timestamps(c, 1);
  directionFacts(tracker, c, 0, into.dirs[0]);
  directionFacts(tracker, c, 1, into.dirs[1]);
  return into;
}

function directionFacts(tracker: TcpTracker, c: number, d: number, out: DirectionFacts): void {
  const s = tracker.store;
  const packets = s.packets(c, d);
  const rsts = s.rsts(c, d);
  const first = s.ttlFirst(c, d);
  const data = s.ttlData(c, d);
  const dataSeen = ttlKnown(data);
  const ttl = dataSeen ? data : first;
  const hasBaseline = packets > rsts && ttlKnown(ttl);
  const hops = hasBaseline ? estimateHops(ttl) : null;
  // A split only when no segment with payload came with the handshake's TTL: a TTL that wobbles is no proxy.
  const split = hasBaseline && dataSeen && s.synSeen(c, d) && ttlKnown(first) && (first < s.ttlDataMin(c, d) || first > s.ttlDataMax(c, d));
  out.packets = packets;
  out.rsts = rsts;
  out.baselineTtl = hasBaseline ? ttl : null;
  out.baselineHops = hops;
  out.handshakeTtl = split ? first : null;
  // A proxied handshake's TTL is not the host's: only the data phase says whether the host's varies.
  out.ttlVaries = split ? s.ttlDataMin(c, d) !== s.ttlDataMax(c, d) : s.ttlMin(c, d) !== s.ttlMax(c, d);
  out.isLocal = hops !== null && hops.hops === 0;
  out.dataAfterRst = s.dataAfterRst(c, d);
}

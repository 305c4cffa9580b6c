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

export function connectionFacts(tracker: TcpTracker, c: number): ConnectionFacts {
  const s = tracker.store;
  const dir = (d: number): DirectionFacts => {
    const packets = s.packets(c, d);
    const rsts = s.rsts(c, d);
    const first = s.ttlFirst(c, d);
    const data = s.ttlData(c, d);
    const dataSeen = ttlKnown(data);
    const ttl = dataSeen ? data : first;
    const hasBaseline = packets > rsts && ttlKnown(ttl);
    const hops = hasBaseline ? estimateHops(ttl) : null;
    // A split only when no segment with payload came with the handshake's TTL: a TTL that wobbles is no proxy.
    const split =
      hasBaseline && dataSeen && s.synSeen(c, d) && ttlKnown(first) && (first < s.ttlDataMin(c, d) || first > s.ttlDataMax(c, d));
    return {
      packets,
      rsts,
      baselineTtl: hasBaseline ? ttl : null,
      baselineHops: hops,
      handshakeTtl: split ? first : null,
      // A proxied handshake's TTL is not the host's: only the data phase says whether the host's varies.
      ttlVaries: split ? s.ttlDataMin(c, d) !== s.ttlDataMax(c, d) : s.ttlMin(c, d) !== s.ttlMax(c, d),
      isLocal: hops !== null && hops.hops === 0,
      dataAfterRst: s.dataAfterRst(c, d),
    };
  };
  return {
    conn: c,
    ipv6: s.isIpv6(c),
    rttNs: s.rttNs(c),
    timestampsNegotiated: s.timestamps(c, 0) && s.timestamps(c, 1),
    dirs: [dir(0), dir(1)],
  };
}

import type { TcpTracker } from '../track/tcp-tracker.js';
import { estimateHops, ttlKnown, type HopEstimate } from './hop-count.js';

/** What diagnosis needs to know about one direction of a connection. */
export interface DirectionFacts {
  packets: number;
  rsts: number;
  /** TTL of the direction's first packet and the hop count it implies; null when only RSTs were seen. */
  baselineTtl: number | null;
  baselineHops: HopEstimate | null;
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
    const ttl = s.ttlFirst(c, d);
    const hasBaseline = packets > rsts && ttlKnown(ttl);
    const hops = hasBaseline ? estimateHops(ttl) : null;
    return {
      packets,
      rsts,
      baselineTtl: hasBaseline ? ttl : null,
      baselineHops: hops,
      ttlVaries: s.ttlMin(c, d) !== s.ttlMax(c, d),
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

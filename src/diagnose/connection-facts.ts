import {
  B_DATA_AFTER_RST, B_DIR_FLAGS, B_TTL_FIRST, B_TTL_MAX, B_TTL_MIN, D_TIMESTAMPS, F_SYN_OR_RTT, H_RSTS, H_STATE, ST_IPV6,
  ST_RTT_KNOWN, W_PKTS,
} from '../track/connection-store.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { estimateHops, type HopEstimate } from './hop-count.js';

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
  const st = s.h(c, H_STATE);
  const dir = (d: number): DirectionFacts => {
    const packets = s.w(c, W_PKTS + d);
    const rsts = s.h(c, H_RSTS + d);
    const hasBaseline = packets > rsts;
    const ttl = s.b(c, B_TTL_FIRST + d);
    const hops = hasBaseline ? estimateHops(ttl) : null;
    return {
      packets,
      rsts,
      baselineTtl: hasBaseline ? ttl : null,
      baselineHops: hops,
      ttlVaries: s.b(c, B_TTL_MIN + d) !== s.b(c, B_TTL_MAX + d),
      isLocal: hops !== null && hops.hops === 0,
      dataAfterRst: s.b(c, B_DATA_AFTER_RST + d),
    };
  };
  return {
    conn: c,
    ipv6: (st & ST_IPV6) !== 0,
    rttNs: (st & ST_RTT_KNOWN) !== 0 ? s.f(c, F_SYN_OR_RTT) : null,
    timestampsNegotiated: (s.b(c, B_DIR_FLAGS) & s.b(c, B_DIR_FLAGS + 1) & D_TIMESTAMPS) !== 0,
    dirs: [dir(0), dir(1)],
  };
}

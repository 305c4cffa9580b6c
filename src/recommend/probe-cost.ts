/**
 * What keepalive costs at scale (reference notes §5). A healthy idle
 * connection exchanges one probe and one pure-ACK reply every KEEPIDLE: the
 * reply resets the prober's receive-idle clock, and the probe resets the
 * peer's, so normally only one side probes even when both have keepalive on.
 */

export type IpFamily = 'ipv4' | 'ipv6';

export interface ProbeSize {
  family: IpFamily;
  timestamps: boolean;
  /** IP datagram: IP header + 20 B TCP header (+12 B timestamp option), no payload. */
  ipBytes: number;
  /** Ethernet frame with FCS, padded to the 64 B minimum. */
  frameBytes: number;
  /** Frame plus 8 B preamble and 12 B inter-frame gap: what the link really spends. */
  wireBytes: number;
}

const ETHERNET_OVERHEAD = 18;
const ETHERNET_MIN_FRAME = 64;
const PREAMBLE_AND_GAP = 20;
/** VXLAN encapsulation adds this much per packet (reference §5). */
export const VXLAN_OVERHEAD_BYTES = 50;

function probeSize(family: IpFamily, timestamps: boolean): ProbeSize {
  const ipBytes = (family === 'ipv4' ? 20 : 40) + 20 + (timestamps ? 12 : 0);
  const frameBytes = Math.max(ETHERNET_MIN_FRAME, ipBytes + ETHERNET_OVERHEAD);
  return { family, timestamps, ipBytes, frameBytes, wireBytes: frameBytes + PREAMBLE_AND_GAP };
}

export const PROBE_SIZES: readonly ProbeSize[] = [
  probeSize('ipv4', true),
  probeSize('ipv4', false),
  probeSize('ipv6', true),
  probeSize('ipv6', false),
];

export interface VariantCost extends ProbeSize {
  /** Probe + reply, on the wire. */
  bytesPerExchange: number;
  bitsPerSecond: number;
  /** Same, counting frames only (what interface counters show). */
  frameBitsPerSecond: number;
  vxlanBitsPerSecond: number;
}

export interface ProbeCost {
  connections: number;
  periodS: number;
  probesPerSecond: number;
  packetsPerSecond: number;
  variants: VariantCost[];
}

/** Upper bound: every connection idle. Busy connections send no probes. */
export function probeCost(connections: number, periodS: number): ProbeCost {
  const exchangesPerSecond = connections / periodS;
  return {
    connections,
    periodS,
    probesPerSecond: exchangesPerSecond,
    packetsPerSecond: 2 * exchangesPerSecond,
    variants: PROBE_SIZES.map((size) => ({
      ...size,
      bytesPerExchange: 2 * size.wireBytes,
      bitsPerSecond: 8 * 2 * size.wireBytes * exchangesPerSecond,
      frameBitsPerSecond: 8 * 2 * size.frameBytes * exchangesPerSecond,
      vxlanBitsPerSecond: 8 * 2 * (size.wireBytes + VXLAN_OVERHEAD_BYTES) * exchangesPerSecond,
    })),
  };
}

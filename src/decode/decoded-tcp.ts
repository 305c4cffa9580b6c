/**
 * The fields of one TCP/IP packet that the tracker needs, decoded in place.
 * One instance is reused for every packet (no per-packet allocation), so
 * anything kept beyond the current packet must be copied out.
 */
export class DecodedTcp {
  ipVersion: 4 | 6 = 4;
  /** Addresses as big-endian 32-bit words; IPv4 uses word 0 and zeroes the rest. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl = 0;
  /** IPv4 identification, or -1 for IPv6. */
  ipId = -1;
  /** IPv4 Don't Fragment bit. */
  df = false;
  /** Length of the IP datagram as the IP header states it. */
  ipLen = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** TCP flag bits (FIN=0x01 … CWR=0x80). */
  flags = 0;
  /** Raw (unscaled) window field. */
  window = 0;
  /** TCP payload length from the IP length, not from the captured bytes. */
  payloadLen = 0;
  /** True when the snaplen cut the frame before the end of the TCP payload. */
  snapped = false;
  // TCP options (as seen on this packet; -1 / false when absent)
  mss = -1;
  wscale = -1;
  sackPerm = false;
  hasTimestamps = false;
}

import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from './tcp-flags.js';

export * from './tcp-flags.js';

/** Flag letters in tcpdump's order, for display. */
export function flagLetters(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_ACK) s += 'A';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'C';
  return s;
}

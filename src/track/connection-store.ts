/**
 * Per-connection state: one fixed-size 168-byte record per connection in one
 * region of the WebAssembly tracker's memory, read here through four
 * typed-array views, plus the entries some records name (cold counts, IPv6
 * addresses) in two more regions. A packet touches
 * the hot front of one record (a few adjacent cache lines) instead of dozens
 * of scattered columns, which is what keeps a 100 k-connection capture fast;
 * a million connections cost ~189 bytes each and nothing is allocated per packet.
 *
 * Connection ids are dense indexes 0..count-1. Fields marked "+d" have one
 * slot per direction: d = 0 is A → B, where A is the client (SYN sender) or,
 * for a mid-stream pickup, the guessed client.
 */

import type { ConnectionEndKind } from '../model/analysis-report.js';
import { addressText } from '../util/ip-text.js';
import {
  CB_DATA_AFTER_RST,
  CB_SYN_RETRIES,
  CH_DUPLICATES,
  CH_GAPS,
  CH_KEEPALIVE_ACKS_HIGH,
  CH_KEEPALIVES_HIGH,
  CH_RSTS,
  COLD_BYTES,
  COLD_STRIDE16,
  COLD_STRIDE32,
  CW_BYTES_HIGH,
  CW_PAYLOAD_HIGH,
  CH_RETRANS_HIGH,
  CW_ZWPS,
} from './cold-layout.js';
import { V6_BYTES, V6_STRIDE32, VW_ADDR } from './v6-layout.js';
import {
  B_DIR_FLAGS,
  B_END_INFO,
  B_SETUP,
  B_TTL_DATA,
  B_TTL_DATA_MAX,
  B_TTL_DATA_MIN,
  B_TTL_FIRST,
  B_TTL_MAX,
  B_TTL_MIN,
  B_WSCALE,
  D_FIN,
  D_SACK_PERM,
  D_SYN_SEEN,
  D_TIMESTAMPS,
  END_BY_B,
  END_FIN,
  END_HALF_CLOSED,
  END_KIND_MASK,
  END_NO_ANSWER,
  END_OPEN,
  END_REJECTED,
  END_RESET,
  F_MAX_IDLE,
  F_SYN_OR_RTT,
  F_T_FIRST,
  F_T_LAST,
  H_MSS,
  H_PORT,
  H_STATE,
  RECORD_BYTES,
  ST_ESTABLISHED,
  ST_IPV6,
  ST_MIDSTREAM,
  ST_RTT_KNOWN,
  ST_SAW_SYN,
  ST_SAW_SYNACK,
  ST_UNANSWERED,
  STRIDE16,
  STRIDE32,
  STRIDE64,
  STRIDE8,
  SU_REVIVED,
  SU_RST_BEFORE_SYNACK,
  SU_SETUP_KNOWN,
  SU_SYN_ODD_ACK,
  SU_SYNACK_AFTER_ACK,
  W_ADDR,
  W_BYTES,
  W_COLD,
  W_PAYLOAD,
  H_KEEPALIVES,
  H_KEEPALIVE_ACKS,
  W_END_FRAME,
  W_FIRST_FRAME,
  W_ID,
  W_ISN,
  W_LAST_ACK,
  W_LAST_FRAME_DIR,
  W_MAX_IDLE_FRAME,
  W_PKTS,
  H_RETRANS,
  WSCALE_UNSEEN,
  W_SETUP_US,
} from './record-layout.js';

const END_NAMES: Record<number, ConnectionEndKind> = {
  [END_OPEN]: 'open',
  [END_FIN]: 'fin',
  [END_HALF_CLOSED]: 'half-closed',
  [END_RESET]: 'reset',
  [END_REJECTED]: 'rejected',
  [END_NO_ANSWER]: 'no-answer',
};

/**
 * The records as the tracker (src/wasm/tracker.ts) writes them. Read-only
 * here: the tracker points the views at its region again whenever the
 * region has grown (attach).
 *
 * Everything outside src/track/ reads a record through the named readers
 * below, so that only this file and the WebAssembly know where a field lies
 * and how wide it is. `c` is a connection id; `d` a direction (0: A → B, the
 * client's packets) or, for addresses and ports, a side (0: A, 1: B).
 */
export class ConnectionStore {
  count = 0;
  capacity = 0;
  private f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private u32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private u16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private u8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private coldU32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private coldU16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private coldU8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private v6U32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  coldAt = -1;
  coldCapacity = 0;
  v6At = -1;
  v6Capacity = 0;

  /** Views of `capacity` records from `byteOffset` of `buffer` (64-byte aligned). */
  attach(buffer: ArrayBufferLike, byteOffset: number, capacity: number): void {
    this.f64 = new Float64Array(buffer, byteOffset, capacity * STRIDE64);
    this.u32 = new Uint32Array(buffer, byteOffset, capacity * STRIDE32);
    this.u16 = new Uint16Array(buffer, byteOffset, capacity * STRIDE16);
    this.u8 = new Uint8Array(buffer, byteOffset, capacity * STRIDE8);
    this.capacity = capacity;
  }

  /** Views of the `capacity` cold entries from `byteOffset` of `buffer` (a region that moves as the tracker's grow). */
  attachCold(buffer: ArrayBufferLike, byteOffset: number, capacity: number): void {
    this.coldU32 = new Uint32Array(buffer, byteOffset, capacity * COLD_STRIDE32);
    this.coldU16 = new Uint16Array(buffer, byteOffset, capacity * COLD_STRIDE16);
    this.coldU8 = new Uint8Array(buffer, byteOffset, capacity * COLD_BYTES);
    this.coldAt = byteOffset;
    this.coldCapacity = capacity;
  }

  /** Views of the `capacity` IPv6 address entries from `byteOffset` of `buffer` (a region that moves too). */
  attachV6(buffer: ArrayBufferLike, byteOffset: number, capacity: number): void {
    this.v6U32 = new Uint32Array(buffer, byteOffset, capacity * V6_STRIDE32);
    this.v6At = byteOffset;
    this.v6Capacity = capacity;
  }

  /** Bytes held by the records and their entries (what connection state costs, excluding the flow index). */
  memoryBytes(): number {
    return this.capacity * RECORD_BYTES + this.coldCapacity * COLD_BYTES + this.v6Capacity * V6_BYTES;
  }

  /** Bytes of the entries connection c names (a cold entry, IPv6 addresses), besides its record. */
  entryBytes(c: number): number {
    return (this.cold(c) >= 0 ? COLD_BYTES : 0) + (this.isIpv6(c) ? V6_BYTES : 0);
  }

  /** Connection c's cold entry (cold-layout.ts), or -1 when it has none: its fields are then 0. */
  private cold(c: number): number {
    return this.u32[c * STRIDE32 + W_COLD]! - 1;
  }
  /** Index in the IPv6 view of connection c's addresses (an IPv6 connection's). */
  private v6Word(c: number): number {
    return (this.u32[c * STRIDE32 + W_ADDR]! - 1) * V6_STRIDE32 + VW_ADDR;
  }
  private cold32(c: number, field: number): number {
    const e = this.cold(c);
    return e < 0 ? 0 : this.coldU32[e * COLD_STRIDE32 + field]!;
  }
  private cold16(c: number, field: number): number {
    const e = this.cold(c);
    return e < 0 ? 0 : this.coldU16[e * COLD_STRIDE16 + field]!;
  }
  private cold8(c: number, field: number): number {
    const e = this.cold(c);
    return e < 0 ? 0 : this.coldU8[e * COLD_BYTES + field]!;
  }

  /** The `count` records as raw bytes (a view, not a copy), for comparing two passes byte for byte. */
  recordBytes(): Uint8Array {
    return this.u8.subarray(0, this.count * RECORD_BYTES);
  }

  // -- the connection --

  /**
   * The connection's number in reports (1, 2, … in order of first packet,
   * like tshark's tcp.stream + 1). Equal to c + 1 until older connections
   * are evicted; it never changes, while c does.
   */
  id(c: number): number {
    return this.u32[c * STRIDE32 + W_ID]!;
  }

  /** The index of the connection numbered `id`, or -1 when it is not (or no longer) held. */
  indexOfId(id: number): number {
    // Ids grow with the index, and eviction keeps the order.
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.u32[mid * STRIDE32 + W_ID]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  isIpv6(c: number): boolean {
    return (this.u16[c * STRIDE16 + H_STATE]! & ST_IPV6) !== 0;
  }
  /** Picked up mid-stream: the handshake was not in the capture, and A is a guess. */
  midStream(c: number): boolean {
    return (this.u16[c * STRIDE16 + H_STATE]! & ST_MIDSTREAM) !== 0;
  }
  /** The client's SYN was seen (without it, a record that is not mid-stream opened with the SYN-ACK). */
  sawSyn(c: number): boolean {
    return (this.u16[c * STRIDE16 + H_STATE]! & ST_SAW_SYN) !== 0;
  }
  /** The last logged packet (keepalive, data, retransmission or RST) got nothing back from the other side. */
  lastUnanswered(c: number): boolean {
    return (this.u16[c * STRIDE16 + H_STATE]! & ST_UNANSWERED) !== 0;
  }
  /** Address text of side 0 (A) or 1 (B). */
  address(c: number, side: number): string {
    if (!this.isIpv6(c)) return addressText(this.u32, c * STRIDE32 + W_ADDR + side, false);
    return addressText(this.v6U32, this.v6Word(c) + side * 4, true);
  }
  port(c: number, side: number): number {
    return this.u16[c * STRIDE16 + H_PORT + side]!;
  }
  /** Both addresses and ports as one string, to find the same connection in another capture. */
  tupleKey(c: number): string {
    const a = c * STRIDE32 + W_ADDR;
    // The same text for IPv4 as for the 16-byte form the decoder gives it.
    const addrs = this.isIpv6(c)
      ? this.v6U32.subarray(this.v6Word(c), this.v6Word(c) + 8).join('.')
      : `${this.u32[a]!}.0.0.0.${this.u32[a + 1]!}.0.0.0`;
    return `${addrs}|${this.port(c, 0)}|${this.port(c, 1)}`;
  }
  /** Times are ns relative to the tracker's time base. */
  firstTimeNs(c: number): number {
    return this.f64[c * STRIDE64 + F_T_FIRST]!;
  }
  lastTimeNs(c: number): number {
    return this.f64[c * STRIDE64 + F_T_LAST]!;
  }
  /** Handshake round trip (ns), or null when the capture did not show the whole handshake. */
  rttNs(c: number): number | null {
    return (this.u16[c * STRIDE16 + H_STATE]! & ST_RTT_KNOWN) !== 0 ? this.f64[c * STRIDE64 + F_SYN_OR_RTT]! : null;
  }
  /** Longest silence between two of its packets (ns), and the frame that ended it. */
  maxIdleNs(c: number): number {
    return this.f64[c * STRIDE64 + F_MAX_IDLE]!;
  }
  maxIdleFrame(c: number): number {
    return this.u32[c * STRIDE32 + W_MAX_IDLE_FRAME]!;
  }
  firstFrame(c: number): number {
    return this.u32[c * STRIDE32 + W_FIRST_FRAME]!;
  }
  /** Segments that started beyond the next expected sequence number: bytes the capture missed. */
  captureGaps(c: number): number {
    return this.cold16(c, CH_GAPS);
  }
  /**
   * How the connection ended. A SYN that got nothing back is settled here
   * rather than in the tracker: only the end of the capture tells it from a
   * handshake still under way.
   */
  endKind(c: number): ConnectionEndKind {
    const e = this.u8[c * STRIDE8 + B_END_INFO]! & END_KIND_MASK;
    if (e !== END_OPEN) return END_NAMES[e]!;
    const st = this.u16[c * STRIDE16 + H_STATE]!;
    if ((st & ST_SAW_SYN) !== 0 && (st & (ST_SAW_SYNACK | ST_ESTABLISHED)) === 0 && this.packets(c, 1) === 0) return 'no-answer';
    return 'open';
  }
  /** Over: both FINs, a RST, or a refusal (a half-close is not: the other side may still talk). */
  hasEnded(c: number): boolean {
    const e = this.u8[c * STRIDE8 + B_END_INFO]! & END_KIND_MASK;
    return e === END_FIN || e === END_RESET || e === END_REJECTED;
  }
  /** Side B sent the first FIN, or the RST, that ended it (meaningful when endKind is fin, half-closed, reset or rejected). */
  endedBySideB(c: number): boolean {
    return (this.u8[c * STRIDE8 + B_END_INFO]! & END_BY_B) !== 0;
  }
  /** Frame of the FIN or RST that ended it. */
  endFrame(c: number): number {
    return this.u32[c * STRIDE32 + W_END_FRAME]!;
  }

  // -- one direction of it --

  packets(c: number, d: number): number {
    return this.u32[c * STRIDE32 + W_PKTS + d]!;
  }
  /** IP bytes. */
  bytes(c: number, d: number): number {
    return this.u32[c * STRIDE32 + W_BYTES + d]! + this.cold32(c, CW_BYTES_HIGH + d) * 2 ** 32;
  }
  /** TCP payload bytes. */
  payloadBytes(c: number, d: number): number {
    return this.u32[c * STRIDE32 + W_PAYLOAD + d]! + this.cold32(c, CW_PAYLOAD_HIGH + d) * 2 ** 32;
  }
  keepalives(c: number, d: number): number {
    return this.u16[c * STRIDE16 + H_KEEPALIVES + d]! + this.cold16(c, CH_KEEPALIVES_HIGH + d) * 2 ** 16;
  }
  /** Keepalives of the other direction that this one answered. */
  keepaliveAcks(c: number, d: number): number {
    return this.u16[c * STRIDE16 + H_KEEPALIVE_ACKS + d]! + this.cold16(c, CH_KEEPALIVE_ACKS_HIGH + d) * 2 ** 16;
  }
  retransmissions(c: number, d: number): number {
    return this.u16[c * STRIDE16 + H_RETRANS + d]! + this.cold16(c, CH_RETRANS_HIGH + d) * 2 ** 16;
  }
  zeroWindowProbes(c: number, d: number): number {
    return this.cold32(c, CW_ZWPS + d);
  }
  /** Frames that were a second copy of the packet before them (captured twice, counted once; saturates at 65535). */
  duplicates(c: number): number {
    return this.cold16(c, CH_DUPLICATES);
  }
  rsts(c: number, d: number): number {
    return this.cold16(c, CH_RSTS + d);
  }
  sentFin(c: number, d: number): boolean {
    return (this.u8[c * STRIDE8 + B_DIR_FLAGS + d]! & D_FIN) !== 0;
  }
  /** Data segments sent after the connection's first RST (saturates at 255): the real host kept talking. */
  dataAfterRst(c: number, d: number): number {
    return this.cold8(c, CB_DATA_AFTER_RST + d);
  }
  /** Last frame sent in the direction (0: none). */
  lastFrame(c: number, d: number): number {
    return this.u32[c * STRIDE32 + W_LAST_FRAME_DIR + d]!;
  }
  /** TTL (hop limit) of the direction's first packet other than a RST (its first RST when it sent only RSTs), and the least and most seen; meaningless while packets(c, d) is 0. */
  ttlFirst(c: number, d: number): number {
    return this.u8[c * STRIDE8 + B_TTL_FIRST + d]!;
  }
  ttlMin(c: number, d: number): number {
    return this.u8[c * STRIDE8 + B_TTL_MIN + d]!;
  }
  ttlMax(c: number, d: number): number {
    return this.u8[c * STRIDE8 + B_TTL_MAX + d]!;
  }
  /** TTL of the direction's first segment with payload, and the least and most of those segments (its data phase); 0 when none was seen. */
  ttlData(c: number, d: number): number {
    return this.u8[c * STRIDE8 + B_TTL_DATA + d]!;
  }
  ttlDataMin(c: number, d: number): number {
    return this.u8[c * STRIDE8 + B_TTL_DATA_MIN + d]!;
  }
  ttlDataMax(c: number, d: number): number {
    return this.u8[c * STRIDE8 + B_TTL_DATA_MAX + d]!;
  }

  // -- the direction's SYN (or SYN-ACK), when synSeen --

  synSeen(c: number, d: number): boolean {
    return (this.u8[c * STRIDE8 + B_DIR_FLAGS + d]! & D_SYN_SEEN) !== 0;
  }
  /** Initial sequence number. */
  isn(c: number, d: number): number {
    return this.u32[c * STRIDE32 + W_ISN + d]!;
  }
  /** SYNs (d = 0) or SYN-ACKs (d = 1) sent again with the same initial sequence number (saturates at 255). */
  synRetransmissions(c: number, d: number): number {
    return this.cold8(c, CB_SYN_RETRIES + d);
  }
  /** Acknowledgement number of the direction's last packet. */
  lastAck(c: number, d: number): number {
    return this.u32[c * STRIDE32 + W_LAST_ACK + d]!;
  }

  // -- how the handshake went (the set-up verdicts read these) --

  /** First SYN → the client's ACK that completed the handshake (ns, to the µs), or null when it never completed. */
  setupNs(c: number): number | null {
    return (this.u8[c * STRIDE8 + B_SETUP]! & SU_SETUP_KNOWN) !== 0 ? this.u32[c * STRIDE32 + W_SETUP_US]! * 1000 : null;
  }
  /** The server answered the SYN with a bare ACK that does not acknowledge it (a challenge ACK for an older connection). */
  synAnsweredByOddAck(c: number): boolean {
    return (this.u8[c * STRIDE8 + B_SETUP]! & SU_SYN_ODD_ACK) !== 0;
  }
  /** A RST came from the server's side before any SYN-ACK. */
  resetBeforeSynAck(c: number): boolean {
    return (this.u8[c * STRIDE8 + B_SETUP]! & SU_RST_BEFORE_SYNACK) !== 0;
  }
  /** A SYN-ACK for the SYN came after a RST, and the connection went on. */
  revivedAfterReset(c: number): boolean {
    return (this.u8[c * STRIDE8 + B_SETUP]! & SU_REVIVED) !== 0;
  }
  /** The server sent its SYN-ACK again after the client's ACK had completed the handshake. */
  synAckAfterHandshake(c: number): boolean {
    return (this.u8[c * STRIDE8 + B_SETUP]! & SU_SYNACK_AFTER_ACK) !== 0;
  }

  /** MSS option, or null when the SYN had none. */
  mss(c: number, d: number): number | null {
    const v = this.u16[c * STRIDE16 + H_MSS + d]!;
    return v > 0 ? v : null;
  }
  /** Window scale option, or null when the SYN had none. */
  wscale(c: number, d: number): number | null {
    const v = (this.u8[c * STRIDE8 + B_WSCALE]! >> (d * 4)) & 0xf;
    return v !== WSCALE_UNSEEN ? v : null;
  }
  sackPermitted(c: number, d: number): boolean {
    return (this.u8[c * STRIDE8 + B_DIR_FLAGS + d]! & D_SACK_PERM) !== 0;
  }
  /** The SYN offered TCP timestamps (both directions did: they are in use). */
  timestamps(c: number, d: number): boolean {
    return (this.u8[c * STRIDE8 + B_DIR_FLAGS + d]! & D_TIMESTAMPS) !== 0;
  }
}

import type { PacketRecord } from '../capture/packet-record.js';
import { TcpTracker } from './tcp-tracker.js';
import type { DecodedTcp } from '../decode/decoded-tcp.js';

/** A tracker of its own, for decoding without tracking (tests, one-off tools): the capture pass decodes inside its tracker. */
let decoder: TcpTracker | null = null;

/**
 * Decode a captured frame down to TCP. Returns DECODED_TCP with `out` filled,
 * or the reason the frame is not usable TCP.
 */
export function decodeFrame(rec: PacketRecord, out: DecodedTcp): number {
  decoder ??= new TcpTracker({ initialConnections: 16 });
  return decoder.decodeInto(rec, out);
}

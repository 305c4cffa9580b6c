import type { PacketRecord } from '../capture/packet-record.js';
import { decodeFrame } from '../decode/decode-frame.js';
import * as status from '../decode/decode-status.js';
import { DecodedTcp } from '../decode/decoded-tcp.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones (see tcp-tracker.ts).
const { DECODE_STATUS_COUNT, DECODED_TCP, UNKNOWN_LINK } = status;

/** What every frame (TCP or not) tells: how many, why skipped, and the latest timestamp. */
export interface FrameCounts {
  frames: number;
  statusCounts: Float64Array;
  unknownLinkTypes: Map<number, number>;
  lastSec: number;
  lastNsec: number;
}

/** Decodes frames and keeps their FrameCounts, for the tracking pipeline. */
export class FrameDecoder implements FrameCounts {
  readonly pkt = new DecodedTcp();
  frames = 0;
  readonly statusCounts = new Float64Array(DECODE_STATUS_COUNT);
  readonly unknownLinkTypes = new Map<number, number>();
  lastSec = -Infinity;
  lastNsec = 0;

  /** Decodes `rec` into `pkt`; true when it is a TCP packet. Allocation-free. */
  decode(rec: PacketRecord): boolean {
    this.frames++;
    if (rec.tsSec > this.lastSec || (rec.tsSec === this.lastSec && rec.tsNsec > this.lastNsec)) {
      this.lastSec = rec.tsSec;
      this.lastNsec = rec.tsNsec;
    }
    const status = decodeFrame(rec, this.pkt);
    this.statusCounts[status]!++;
    if (status === UNKNOWN_LINK) this.unknownLinkTypes.set(rec.linkType, (this.unknownLinkTypes.get(rec.linkType) ?? 0) + 1);
    return status === DECODED_TCP;
  }

  counts(): FrameCounts {
    return {
      frames: this.frames,
      statusCounts: this.statusCounts.slice(),
      unknownLinkTypes: new Map(this.unknownLinkTypes),
      lastSec: this.lastSec,
      lastNsec: this.lastNsec,
    };
  }
}

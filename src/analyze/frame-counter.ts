import type { PacketRecord } from '../capture/packet-record.js';
import * as status from '../decode/decode-status.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones.
const { DECODE_STATUS_COUNT, UNKNOWN_LINK } = status;

/** What every frame (TCP or not) tells: how many, why skipped, and the latest timestamp. */
export interface FrameCounts {
  frames: number;
  statusCounts: Float64Array;
  unknownLinkTypes: Map<number, number>;
  lastSec: number;
  lastNsec: number;
}

/** Keeps FrameCounts for the tracking pipeline, frame by frame. */
export class FrameCounter implements FrameCounts {
  frames = 0;
  readonly statusCounts = new Float64Array(DECODE_STATUS_COUNT);
  readonly unknownLinkTypes = new Map<number, number>();
  lastSec = -Infinity;
  lastNsec = 0;

  /** Counts `rec`, which decoded with `decodeStatus`. Allocation-free. */
  count(rec: PacketRecord, decodeStatus: number): void {
    this.frames++;
    if (rec.tsSec > this.lastSec || (rec.tsSec === this.lastSec && rec.tsNsec > this.lastNsec)) {
      this.lastSec = rec.tsSec;
      this.lastNsec = rec.tsNsec;
    }
    this.statusCounts[decodeStatus]!++;
    if (decodeStatus === UNKNOWN_LINK) this.unknownLinkTypes.set(rec.linkType, (this.unknownLinkTypes.get(rec.linkType) ?? 0) + 1);
  }

  /** Adds `frames` frames counted elsewhere (the tracker's own walk over pcap records of `linkType`). */
  addWalked(frames: number, statusCounts: ArrayLike<number>, latestSec: number, latestNsec: number, linkType: number): void {
    this.frames += frames;
    for (let k = 0; k < this.statusCounts.length; k++) this.statusCounts[k]! += statusCounts[k]!;
    const unknown = statusCounts[UNKNOWN_LINK]!;
    if (unknown > 0) this.unknownLinkTypes.set(linkType, (this.unknownLinkTypes.get(linkType) ?? 0) + unknown);
    if (latestSec > this.lastSec || (latestSec === this.lastSec && latestNsec > this.lastNsec)) {
      this.lastSec = latestSec;
      this.lastNsec = latestNsec;
    }
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

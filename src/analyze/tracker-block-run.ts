import type { PcapngBlockRun, PcapngWalkInterface } from '../capture/pcapng-run.js';
import type { CapturePipeline } from './analyze-capture.js';

/** Hands runs of pcapng packet blocks to the tracker whole, and counts their frames. */
export class TrackerBlockRun implements PcapngBlockRun {
  frame = 0;
  drops = 0;
  dropsSeen = false;

  constructor(private readonly pipeline: CapturePipeline) {}

  interfaces(list: readonly PcapngWalkInterface[]): void {
    this.pipeline.tracker.pcapngInterfaces(list);
  }

  take(buf: Buffer, start: number, end: number, le: boolean, frame: number, drops: number): number {
    const tracker = this.pipeline.tracker;
    const pos = tracker.trackPcapngBlocks(buf, start, end, le, frame, drops);
    this.frame = tracker.pcapFrame;
    this.drops = tracker.pcapngDrops;
    this.dropsSeen = tracker.pcapngDropsSeen;
    if (this.frame === frame) return pos;
    const w = tracker.takeWalked();
    // The walk leaves frames of link types the decoder does not read to the parser, which counts them by link type.
    this.pipeline.frameCounts.addWalked(this.frame - frame, w.statusCounts, w.latestSec, w.latestNsec, -1);
    this.pipeline.evictor?.afterRun(this.pipeline);
    return pos;
  }
}

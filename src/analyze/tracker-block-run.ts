import type { PcapngBlockRun, PcapngWalkInterface } from '../capture/pcapng-run.js';
import type { CapturePipeline } from './analyze-capture.js';
import { walkBetweenEvictChecks } from './evict-check-walk.js';

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
    this.drops = drops;
    this.dropsSeen = false;
    let pos = start;
    // The walk leaves frames of link types the decoder does not read to the parser, which counts them by link type.
    this.frame = walkBetweenEvictChecks(this.pipeline, frame, -1, (from, last) => {
      pos = tracker.trackPcapngBlocks(buf, pos, end, le, from, this.drops, last);
      this.drops = tracker.pcapngDrops;
      if (tracker.pcapngDropsSeen) this.dropsSeen = true;
      return tracker.pcapFrame;
    });
    return pos;
  }
}

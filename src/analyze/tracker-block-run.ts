import type { PcapngBlockRun, PcapngWalkInterface } from '../capture/pcapng-run.js';
import type { CapturePipeline } from './analyze-capture.js';

/** The largest frame number the walk counts to (u32). */
const LAST_FRAME = 0xffffffff;

/**
 * Hands runs of pcapng packet blocks to the tracker whole, and counts their
 * frames. A run pauses where the pipeline asks its evictor, at the same
 * frames as when each frame came through onPacket: what is forgotten under
 * --max-memory, and so the report, does not depend on the path.
 */
export class TrackerBlockRun implements PcapngBlockRun {
  frame = 0;
  drops = 0;
  dropsSeen = false;

  constructor(private readonly pipeline: CapturePipeline) {}

  interfaces(list: readonly PcapngWalkInterface[]): void {
    this.pipeline.tracker.pcapngInterfaces(list);
  }

  take(buf: Buffer, start: number, end: number, le: boolean, frame: number, drops: number): number {
    const p = this.pipeline;
    const tracker = p.tracker;
    this.frame = frame;
    this.drops = drops;
    this.dropsSeen = false;
    let pos = start;
    for (;;) {
      const from = this.frame;
      const last = Math.min(from + p.framesBeforeEvictCheck(), LAST_FRAME);
      pos = tracker.trackPcapngBlocks(buf, pos, end, le, from, this.drops, last);
      this.frame = tracker.pcapFrame;
      this.drops = tracker.pcapngDrops;
      if (tracker.pcapngDropsSeen) this.dropsSeen = true;
      if (this.frame === from) return pos;
      const w = tracker.takeWalked();
      // The walk leaves frames of link types the decoder does not read to the parser, which counts them by link type.
      p.frameCounts.addWalked(this.frame - from, w.statusCounts, w.latestSec, w.latestNsec, -1);
      p.trackedFrames(this.frame - from);
      if (this.frame !== last) return pos;
    }
  }
}

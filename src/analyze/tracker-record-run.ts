import type { PcapRecordRun } from '../capture/pcap.js';
import type { CapturePipeline } from './analyze-capture.js';
import { walkBetweenEvictChecks } from './evict-check-walk.js';

/** Hands runs of classic pcap records to the tracker whole, and counts their frames. */
export class TrackerRecordRun implements PcapRecordRun {
  frame = 0;

  constructor(private readonly pipeline: CapturePipeline) {}

  take(buf: Buffer, start: number, end: number, le: boolean, nano: boolean, linkType: number, frame: number): number {
    const tracker = this.pipeline.tracker;
    let pos = start;
    this.frame = walkBetweenEvictChecks(this.pipeline, frame, linkType, (from, last) => {
      pos = tracker.trackPcapRecords(buf, pos, end, le, nano, linkType, from, last);
      return tracker.pcapFrame;
    });
    return pos;
  }
}

import type { CapturePipeline } from './analyze-capture.js';

/** The largest frame number a walk counts to (u32). */
const LAST_FRAME = 0xffffffff;

/**
 * Tracks frames in WebAssembly walks that pause where the pipeline asks its
 * evictor, at the same frames as when each frame comes through onPacket:
 * what is forgotten under --max-memory, and so the report, depends neither on
 * the capture's format nor on the path its frames take. `walk(from, last)`
 * tracks the frames after `from`, up to `last` at most, and returns the last
 * frame it tracked; they are counted here (`linkType` -1: by the walk's own
 * link types). Returns the frame reached.
 */
export function walkBetweenEvictChecks(
  p: CapturePipeline,
  frame: number,
  linkType: number,
  walk: (from: number, last: number) => number,
): number {
  for (;;) {
    const from = frame;
    const last = Math.min(from + p.framesBeforeEvictCheck(), LAST_FRAME);
    frame = walk(from, last);
    if (frame === from) return frame;
    const w = p.tracker.takeWalked();
    p.frameCounts.addWalked(frame - from, w.statusCounts, w.latestSec, w.latestNsec, linkType);
    p.trackedFrames(frame - from);
    if (frame !== last) return frame;
  }
}

import type { TcpTracker } from './tcp-tracker.js';
import { epochText } from '../util/time-text.js';

/** Epoch text of a tracker-relative time (ns since the capture's first packet). */
export function relTimeText(tracker: TcpTracker, rel: number): string {
  const [sec, ns] = tracker.absolute(rel);
  return epochText(sec, ns);
}

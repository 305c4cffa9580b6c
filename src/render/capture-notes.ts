import { durationText } from '../util/time-text.js';

/**
 * What a capture's own quirks mean for its report, said once for the text and
 * HTML renderers: frames it holds twice, and times taken on arrival at kad.
 */

export function duplicatesText(frames: number): string {
  return `${frames} TCP frame${frames === 1 ? ' was' : 's were'} captured twice (a copy right after the packet, as on "any" or a mirror port fed by both ends): counted once, not as retransmissions`;
}

export const ARRIVAL_STAMPS_NOTE =
  'timestamps are arrival times at kad (libpcap via cap), not the kernel’s: delays between packets, the handshake RTT among them, include time spent waiting to be read';

/** The handshake RTT as a report shows it: marked when it was measured between arrival stamps. */
export function handshakeRttText(rttS: number, arrivalTimestamps: boolean): string {
  return `handshake RTT ${durationText(rttS)}${arrivalTimestamps ? ' (between arrival stamps: an upper bound)' : ''}`;
}

import type { SilentDropVerdict } from '../report/analysis-report.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, K_RST } from '../track/packet-kind.js';
import { W_LAST_FRAME_DIR } from '../track/connection-store.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import type { ConnectionEvents } from './connection-events.js';

/** After the last unanswered packet, this much more capture means the sender stopped on its own. */
const GAVE_UP_MARGIN_NS = 5e9;

/**
 * Keepalive probes, retransmissions or data that the other side never
 * answered: from one capture this proves the silence, not where the packets
 * died (two-sided analysis can tell a black hole from a dead peer).
 */
export function findSilentDrop(tracker: TcpTracker, events: ConnectionEvents, c: number, captureEndNs: number, explain = true): SilentDropVerdict | null {
  const log = events.log;
  const idx = events.of(c);
  for (let x = 0; x < 2; x++) {
    const lastAnswer = tracker.store.w(c, W_LAST_FRAME_DIR + (x ^ 1));
    // Counted as they come: this runs for every connection whose last packet went unanswered.
    let count = 0;
    let first = -1;
    let last = -1;
    let keepalives = 0;
    let retransmissions = 0;
    let localRst = false;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      if (log.dir(i) !== x || log.frame(i) <= lastAnswer) continue;
      const k = log.kind(i);
      if (k === K_KEEPALIVE || k === K_RETRANSMISSION || k === K_DATA) {
        if (count++ === 0) first = i;
        last = i;
        if (k === K_KEEPALIVE) keepalives++;
        else if (k === K_RETRANSMISSION) retransmissions++;
      } else if (k === K_RST) localRst = true;
    }
    if (count < 2 && !(count === 1 && localRst)) continue;
    const end = localRst ? 'local-rst' : captureEndNs - log.time(last) >= GAVE_UP_MARGIN_NS ? 'gave-up' : 'capture-ended';
    const sender = x === 0 ? 'client' : 'server';
    // Decided either way; worded only when asked (see CaptureDiagnosis).
    const evidence: string[] = [];
    if (explain) {
      evidence.push(`${count} packets from the ${sender} after frame ${lastAnswer || 'none'} got no answer (${keepalives} keepalive probes, ${retransmissions} retransmissions)`);
      if (end === 'gave-up') evidence.push(`the ${sender} stopped sending ${((captureEndNs - log.time(last)) / 1e9).toFixed(1)} s before the capture ended: its stack gave up`);
      if (end === 'local-rst') evidence.push(`the ${sender} finally sent its own RST`);
    }
    return {
      conn: c + 1,
      sender,
      kind: 'unanswered',
      keepalives,
      retransmissions,
      firstFrame: log.frame(first),
      lastFrame: log.frame(last),
      idleBeforeS: log.idleBefore(first) / 1e9,
      spanS: (log.time(last) - log.time(first)) / 1e9,
      end,
      evidence,
    };
  }
  return null;
}

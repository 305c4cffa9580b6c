import type { SilentDropVerdict } from '../model/analysis-report.js';
import type { TcpTracker, UnansweredTails } from '../track/tcp-tracker.js';

/** After the last unanswered packet, this much more capture means the sender stopped on its own. */
const GAVE_UP_MARGIN_NS = 5e9;

/**
 * Keepalive probes, retransmissions or data that the other side never
 * answered: from one capture this proves the silence, not where the packets
 * died (two-sided analysis can tell a black hole from a dead peer). Read
 * from the tails the tracker gathered for every connection in one pass.
 */
export function findSilentDrop(tracker: TcpTracker, unanswered: UnansweredTails, c: number, explain = true): SilentDropVerdict | null {
  const log = tracker.events;
  const store = tracker.store;
  const captureEndNs = unanswered.captureEndNs;
  for (let x = 0; x < 2; x++) {
    const packets = unanswered.packets(c, x);
    const localRst = unanswered.localRst(c, x);
    if (packets < 2 && !(packets === 1 && localRst)) continue;
    const first = unanswered.firstEvent(c, x);
    const last = unanswered.lastEvent(c, x);
    const keepalives = unanswered.keepalives(c, x);
    const retransmissions = unanswered.retransmissions(c, x);
    const lastAnswer = store.lastFrame(c, x ^ 1);
    const end = localRst ? 'local-rst' : captureEndNs - log.time(last) >= GAVE_UP_MARGIN_NS ? 'gave-up' : 'capture-ended';
    const sender = x === 0 ? 'client' : 'server';
    // Decided either way; worded only when asked (see CaptureDiagnosis).
    const evidence: string[] = [];
    if (explain) {
      evidence.push(
        `${packets} packets from the ${sender} after frame ${lastAnswer || 'none'} got no answer (${keepalives} keepalive probes, ${retransmissions} retransmissions)`,
      );
      if (end === 'gave-up')
        evidence.push(
          `the ${sender} stopped sending ${((captureEndNs - log.time(last)) / 1e9).toFixed(1)} s before the capture ended: its stack gave up`,
        );
      if (end === 'local-rst') evidence.push(`the ${sender} finally sent its own RST`);
    }
    return {
      conn: tracker.store.id(c),
      sender,
      kind: 'unanswered',
      keepalives,
      retransmissions,
      firstFrame: log.frame(first),
      lastFrame: log.frame(last),
      idleBeforeS: log.idleBefore(first) / 1e9,
      spanS: (log.time(last) - log.time(first)) / 1e9,
      end,
      doubt: null,
      evidence,
    };
  }
  return null;
}

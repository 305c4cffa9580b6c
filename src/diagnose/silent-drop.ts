import type { SilentDropVerdict } from '../report/analysis-report.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, K_RST } from '../track/packet-kind.js';
import { W_LAST_FRAME_DIR } from '../track/connection-store.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import type { ConnectionEvents } from './connection-events.js';

/** After the last unanswered packet, this much more capture means the sender stopped on its own. */
const GAVE_UP_MARGIN_NS = 5e9;

/** What one side sent after the other side's last packet (event indexes, -1: none). */
class UnansweredTail {
  packets = 0;
  first = -1;
  last = -1;
  keepalives = 0;
  retransmissions = 0;
  localRst = false;

  reset(): void {
    this.packets = 0;
    this.first = -1;
    this.last = -1;
    this.keepalives = 0;
    this.retransmissions = 0;
    this.localRst = false;
  }
}

// Reused by every call: this runs for every RST'd or unanswered connection, and most have no tail.
const tails = [new UnansweredTail(), new UnansweredTail()] as const;

/**
 * Keepalive probes, retransmissions or data that the other side never
 * answered: from one capture this proves the silence, not where the packets
 * died (two-sided analysis can tell a black hole from a dead peer).
 */
export function findSilentDrop(tracker: TcpTracker, events: ConnectionEvents, c: number, captureEndNs: number, explain = true): SilentDropVerdict | null {
  const log = events.log;
  const store = tracker.store;
  const last0 = store.w(c, W_LAST_FRAME_DIR);
  const last1 = store.w(c, W_LAST_FRAME_DIR + 1);
  tails[0].reset();
  tails[1].reset();
  // Newest first, stopping at the last frame both sides sent: only the unanswered tails are read,
  // not every event of a long-lived connection (each a cache miss somewhere in the log).
  const answeredUpTo = Math.min(last0, last1);
  for (let j = events.first(c + 1) - 1, stop = events.first(c); j >= stop; j--) {
    const i = events.at(j);
    const f = log.frame(i);
    if (f <= answeredUpTo) break;
    const x = log.dir(i);
    if (f <= (x === 0 ? last1 : last0)) continue;
    const tail = tails[x]!;
    const k = log.kind(i);
    if (k === K_KEEPALIVE || k === K_RETRANSMISSION || k === K_DATA) {
      if (tail.packets++ === 0) tail.last = i;
      tail.first = i;
      if (k === K_KEEPALIVE) tail.keepalives++;
      else if (k === K_RETRANSMISSION) tail.retransmissions++;
    } else if (k === K_RST) tail.localRst = true;
  }
  for (let x = 0; x < 2; x++) {
    const { packets, first, last, keepalives, retransmissions, localRst } = tails[x]!;
    if (packets < 2 && !(packets === 1 && localRst)) continue;
    const lastAnswer = x === 0 ? last1 : last0;
    const end = localRst ? 'local-rst' : captureEndNs - log.time(last) >= GAVE_UP_MARGIN_NS ? 'gave-up' : 'capture-ended';
    const sender = x === 0 ? 'client' : 'server';
    // Decided either way; worded only when asked (see CaptureDiagnosis).
    const evidence: string[] = [];
    if (explain) {
      evidence.push(`${packets} packets from the ${sender} after frame ${lastAnswer || 'none'} got no answer (${keepalives} keepalive probes, ${retransmissions} retransmissions)`);
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

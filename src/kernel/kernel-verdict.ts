import { ERRNO_NAMES } from '../model/kernel-event.js';
import type { LoggedKernelEvent } from './kernel-log.js';

/** What a kernel event says on its own, what it cannot say, and what would decide it. */
export interface KernelNote {
  verdict: string;
  /** What cannot be known from this host's stack alone (without packets, or without the other end). */
  unknown?: string;
  /** What would decide it. */
  decide?: string;
}

/** How the event met the capture: null when there is none (--no-capture). */
export interface CaptureSide {
  conn: number | null;
  rstFrame: number | null;
}

const ECONNRESET = 104;
const ETIMEDOUT = 110;

/** Seconds the socket had been idle at the event: its idle clock at the last read, moved on to the event. */
function idleAt(ev: LoggedKernelEvent): number | null {
  const s = ev.socket;
  if (s?.idleMs == null || s.readAtMs === null) return null;
  return Math.max(0, Math.round(s.idleMs + ev.wallS * 1000 - s.readAtMs) / 1000);
}

/** A keepalive probe was out, or due, by the event: the RST or the give-up answered it. */
function afterProbe(ev: LoggedKernelEvent): boolean {
  const s = ev.socket;
  if (!s) return false;
  if (s.probesOut > 0) return true;
  if (s.keepaliveTimer.state !== 'on' || s.readAtMs === null) return false;
  return s.readAtMs / 1000 + s.keepaliveTimer.nextProbeS <= ev.wallS + 0.001;
}

const PEER_OR_MIDDLEBOX =
  "who sent the RST: the peer, or a middlebox in its name (only the packet tells them apart: its TTL against the peer's other packets, IP ID, timing)";

/**
 * Words for one of this namespace's kernel events; null for the kinds that
 * need none (state changes, retransmissions). Rules in the order a reader
 * asks: did we send it, did we get it, did the application hear about it.
 */
export function kernelNote(ev: LoggedKernelEvent, cap: CaptureSide | null): KernelNote | null {
  const idle = idleAt(ev);
  const idleText = idle === null ? '' : ` after ${idle} s idle`;
  const probe = afterProbe(ev) ? ', right after a keepalive probe' : '';
  switch (ev.kind) {
    case 'send-reset': {
      // A listener answers a segment of a connection it does not have (after a crash, a lost socket) with its own, unconnected, ends.
      const why =
        ev.state === null
          ? ': no socket had this 4-tuple'
          : ev.state === 'LISTEN'
            ? ': the listening socket, for a connection it does not have'
            : '';
      return { verdict: `this host's TCP stack sent a RST${ev.reason ? ` (${ev.reason})` : ''}${why}` };
    }
    case 'receive-reset':
      if (cap === null) {
        return {
          verdict: `reset received${idleText}${probe}`,
          unknown: PEER_OR_MIDDLEBOX,
          decide:
            'capture here (kad watch --kernel without --no-capture), or run kad watch --kernel at the peer: if its stack sent no RST then, a middlebox did',
        };
      }
      if (cap.rstFrame === null) {
        return {
          verdict: `reset received${idleText}${probe}; the capture missed this RST (it has no RST on this 4-tuple then)`,
          unknown: PEER_OR_MIDDLEBOX,
          decide: 'a capture that sees this RST (check the filter, the interface and drops)',
        };
      }
      return { verdict: `reset received: captured RST frame ${cap.rstFrame} (its reset line attributes it)` };
    case 'error': {
      const name = ev.errno === null ? 'an error' : (ERRNO_NAMES[ev.errno] ?? `errno ${ev.errno}`);
      if (ev.errno === ETIMEDOUT) {
        const keepalive = ev.socket !== null && (ev.socket.keepaliveTimer.state === 'on' || ev.socket.probesOut > 0);
        const probes = ev.socket?.probesOut ? ` (${ev.socket.probesOut}+ probes unanswered at the last socket read)` : '';
        return {
          verdict: keepalive
            ? `keepalive gave up${probes}: a silent drop confirmed by the kernel; the application got ${name}`
            : `the stack gave up (retransmissions or TCP_USER_TIMEOUT): the application got ${name}`,
          unknown: 'whether the path dropped the packets (black hole) or the peer is gone (dead peer)',
          decide:
            'a capture at the peer (or kad watch --kernel there): probes that arrive unanswered mean a dead peer, none arriving a black hole',
        };
      }
      if (ev.errno === ECONNRESET) return { verdict: `the application got ${name}${idleText}${probe}` };
      return { verdict: `the application got ${name}` };
    }
    default:
      return null;
  }
}

import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import type { Evidence } from '../model/analysis-report.js';
import { ERRNO_NAMES } from '../model/kernel-event.js';
import { tupleKey, type LoggedKernelEvent } from '../kernel/kernel-log.js';
import type { CrossEvidence } from './diagnose-capture.js';

/**
 * A kernel event and a captured packet are "the same moment" within this
 * (s). Both clocks are this host's (the capture's stamps, the trace's `mono`
 * moved to the wall clock at start; measured 1–3 ms apart in the lab); a
 * capture stamped on arrival (cap) lags by the time its packets wait in the
 * buffer, well under this on a host that keeps up. It must stay well under the
 * gap between two RSTs of one 4-tuple: an abort RST that never left the host
 * (lab peer-socketless) came 1 s before the socketless one that did, and a
 * 1 s tolerance paired them. The nearest event wins; the 4-tuple must match.
 */
export const KERNEL_MATCH_S = 0.25;

/** A listening or unconnected socket's RST reports this remote end (the socket's own, unset): it matches any peer. */
function wildcard(e: { addr: string }): { addr: string; port: number } {
  return { addr: e.addr.includes(':') ? '::' : '0.0.0.0', port: 0 };
}

function nearest<T extends { wallS: number }>(
  list: readonly T[] | undefined,
  wallS: number,
  ok: (x: T) => boolean = () => true,
): T | undefined {
  let best: T | undefined;
  for (const x of list ?? []) {
    const d = Math.abs(x.wallS - wallS);
    if (d <= KERNEL_MATCH_S && ok(x) && (best === undefined || d < Math.abs(best.wallS - wallS))) best = x;
  }
  return best;
}

const ECONNRESET = 104;
const ETIMEDOUT = 110;

function owner(ev: LoggedKernelEvent): string {
  const s = ev.socket;
  if (s?.pid != null) return `pid ${s.pid} (${s.process ?? '?'})`;
  return 'its process (owner not seen in the socket table)';
}

/** Where a kernel event meets the capture: its connection, and the captured RST it is. */
export interface CaptureMatch {
  /** Connection id (ConnectionReport.id) with the event's 4-tuple, when captured. */
  conn: number | null;
  /** For a reset event: the frame of the captured RST it matches; null when the capture has none (it missed it). */
  rstFrame: number | null;
}

/**
 * Joins kernel events (this namespace's, from KernelLog) to a capture by
 * 4-tuple and time, and turns them into evidence for reset attribution and
 * silent drops. Built once per refresh; work is one index over the held
 * connections and a lookup per RST and per event.
 */
export class KernelJoin {
  private readonly connByTuple = new Map<string, number>();
  private readonly eventsByTuple = new Map<string, LoggedKernelEvent[]>();
  /** RST frames by "sender tuple": the captured RSTs kernel reset events can be. */
  private readonly rstsByTuple = new Map<string, Array<{ frame: number; wallS: number }>>();
  /** The same by sender end alone, for a listener's RST (its remote end is the wildcard). */
  private readonly rstsBySender = new Map<string, Array<{ frame: number; wallS: number }>>();

  constructor(
    private readonly analysis: CaptureAnalysis,
    events: readonly LoggedKernelEvent[],
    private readonly opts: { startedS: number; locals: ReadonlySet<string> },
  ) {
    const t = analysis.tracker;
    const s = t.store;
    for (let c = 0; c < t.connectionCount; c++) {
      const a = { addr: s.address(c, 0), port: s.port(c, 0) };
      const b = { addr: s.address(c, 1), port: s.port(c, 1) };
      this.connByTuple.set(tupleKey(a, b), c);
      this.connByTuple.set(tupleKey(b, a), c);
    }
    for (const ev of events) {
      if (ev.netns !== 'this') continue;
      const k = tupleKey(ev.local, ev.remote);
      let list = this.eventsByTuple.get(k);
      if (!list) this.eventsByTuple.set(k, (list = []));
      list.push(ev);
    }
    for (const r of t.resets) {
      const from = { addr: s.address(r.conn, r.dir), port: s.port(r.conn, r.dir) };
      const to = { addr: s.address(r.conn, r.dir ^ 1), port: s.port(r.conn, r.dir ^ 1) };
      const k = tupleKey(from, to);
      let list = this.rstsByTuple.get(k);
      if (!list) this.rstsByTuple.set(k, (list = []));
      const [sec, ns] = t.absolute(r.time);
      const rst = { frame: r.frame, wallS: sec + ns / 1e9 };
      list.push(rst);
      const sk = tupleKey(from, wildcard(from));
      let bySender = this.rstsBySender.get(sk);
      if (!bySender) this.rstsBySender.set(sk, (bySender = []));
      bySender.push(rst);
    }
  }

  match(ev: LoggedKernelEvent): CaptureMatch {
    if (ev.netns !== 'this') return { conn: null, rstFrame: null };
    const c = this.connByTuple.get(tupleKey(ev.local, ev.remote));
    const conn = c === undefined ? null : this.analysis.tracker.store.id(c);
    let rstFrame: number | null = null;
    if (ev.kind === 'send-reset' || ev.kind === 'receive-reset') {
      // A sent RST goes local → remote; a received one came remote → local.
      const k = ev.kind === 'send-reset' ? tupleKey(ev.local, ev.remote) : tupleKey(ev.remote, ev.local);
      const list = ev.kind === 'send-reset' && ev.remote.port === 0 ? this.rstsBySender.get(k) : this.rstsByTuple.get(k);
      rstFrame = nearest(list, ev.wallS)?.frame ?? null;
    }
    return { conn, rstFrame };
  }

  private near(k: string, kind: LoggedKernelEvent['kind'], wallS: number, errno?: number): LoggedKernelEvent | undefined {
    return nearest(this.eventsByTuple.get(k), wallS, (e) => e.kind === kind && (errno === undefined || e.errno === errno));
  }

  /** Evidence for each captured RST (signal `kernel`), and the kernel's word on silent drops. */
  cross(): CrossEvidence {
    const t = this.analysis.tracker;
    const s = t.store;
    const resets = new Map<number, Evidence[]>();
    for (const r of t.resets) {
      const from = { addr: s.address(r.conn, r.dir), port: s.port(r.conn, r.dir) };
      const to = { addr: s.address(r.conn, r.dir ^ 1), port: s.port(r.conn, r.dir ^ 1) };
      const [sec, ns] = t.absolute(r.time);
      const at = sec + ns / 1e9;
      const ev: Evidence[] = [];
      // A listener answering a segment of a flow it has no connection for reports its own, unconnected, remote end.
      const sent = this.near(tupleKey(from, to), 'send-reset', at) ?? this.near(tupleKey(from, wildcard(from)), 'send-reset', at);
      if (sent) {
        // tcp_send_reset fires for every RST this host's TCP stack builds, with or without a socket.
        ev.push({
          signal: 'kernel',
          pointsTo: 'local-stack',
          strength: 'decisive',
          detail: `this host's TCP stack sent this RST (tcp_send_reset${sent.reason ? `, reason ${sent.reason}` : ''}${sent.state ? `, socket ${sent.state}` : ', no socket'})`,
        });
      } else if (this.opts.locals.has(from.addr) && at >= this.opts.startedS + KERNEL_MATCH_S) {
        // The RST carries one of this namespace's addresses, tracing was on, and the stack built no RST: someone else did.
        ev.push({
          signal: 'kernel',
          pointsTo: 'middlebox',
          strength: 'strong',
          detail: `the RST claims to come from this host (${from.addr}:${from.port}), but its TCP stack sent none then (no tcp_send_reset)`,
          caveat:
            'something on this host made it (a netfilter reject rule) or on the path; another namespace with the same address would look the same',
        });
      }
      const got = this.near(tupleKey(to, from), 'receive-reset', at);
      if (got) {
        const err = this.near(tupleKey(to, from), 'error', got.wallS, ECONNRESET);
        ev.push({
          signal: 'kernel',
          pointsTo: 'unknown',
          strength: 'weak',
          detail: `this host's socket ${to.addr}:${to.port}${got.cookie ? ` (sk:${got.cookie})` : ''} received this RST (tcp_receive_reset)${
            err ? `; ${owner(err)} got ECONNRESET` : ''
          }`,
          caveat:
            'a received RST looks the same from the peer and from a middlebox in its name: the packet signals (TTL, IP ID, timing) decide',
        });
      }
      if (ev.length > 0) resets.set(r.frame, ev);
    }
    const silentDropNotes = new Map<number, string>();
    for (const list of this.eventsByTuple.values()) {
      for (const e of list) {
        if (e.kind !== 'error' || e.errno !== ETIMEDOUT) continue;
        const c = this.connByTuple.get(tupleKey(e.local, e.remote));
        if (c === undefined) continue;
        const probes = e.socket?.probesOut
          ? `, ${e.socket.probesOut}+ keepalive probe${e.socket.probesOut === 1 ? '' : 's'} unanswered at the last socket read`
          : '';
        silentDropNotes.set(
          s.id(c),
          `confirmed by the kernel: the socket ${e.local.addr}:${e.local.port} gave up and ${owner(e)} got ${ERRNO_NAMES[ETIMEDOUT]}${probes}`,
        );
      }
    }
    return { resets, silentDrops: new Map(), silentDropNotes };
  }
}

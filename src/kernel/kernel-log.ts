import { networkInterfaces } from 'node:os';
import type { KernelEvent } from '../model/kernel-event.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { normalizeAddress } from '../sockets/endpoint-text.js';

/** A kernel event with its place in the log and its wall time. */
export interface LoggedKernelEvent extends KernelEvent {
  seq: number;
  /** Epoch seconds (monoS + the session's wall offset). */
  wallS: number;
  /** 'other': its local address is not one of kad's network namespace's (a container's socket); left unjoined. */
  netns: 'this' | 'other';
  /** The socket as the last socket-table read saw it (same cookie, else same 4-tuple), when it did. */
  socket: SocketInfo | null;
}

/** Recent events kept for joins and evidence: older ones have been judged and emitted already. */
export const KERNEL_RING = 4096;
/** Cookies remembered per 4-tuple (an error report carries none: it takes the receive-reset's). */
const COOKIE_MEMORY = 4096;

export function tupleKey(local: { addr: string; port: number }, remote: { addr: string; port: number }): string {
  return `${local.addr}|${local.port}|${remote.addr}|${remote.port}`;
}

/** This network namespace's own addresses, spelled as events spell them. */
export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const n = normalizeAddress(a.address.replace(/%.*$/, ''));
      if (n) out.add(n.addr);
    }
  }
  return out;
}

/**
 * The kernel events of a run, bounded (a ring of KERNEL_RING), each joined
 * on arrival to the latest socket table: by cookie when the event has one,
 * else by 4-tuple. Tracepoints are system-wide; an event whose local address
 * kad's namespace does not have belongs to another namespace (a container)
 * and is labelled, not joined: its socket is in a table kad cannot read, and a
 * same-looking socket here would be a false match.
 */
export class KernelLog {
  private readonly ring: LoggedKernelEvent[] = [];
  private seq = 0;
  private byCookie = new Map<string, SocketInfo>();
  private byTuple = new Map<string, SocketInfo>();
  /** The last read alone (what the next read keeps one generation of). */
  private freshCookie = new Map<string, SocketInfo>();
  private freshTuple = new Map<string, SocketInfo>();
  private readonly cookieOf = new Map<string, string>();
  private locals: Set<string>;

  constructor(
    private readonly wallOffsetS: number,
    private readonly readLocals: () => Set<string> = localAddresses,
  ) {
    this.locals = readLocals();
  }

  /** Each socket-table read: joins use the newest (a socket that just closed is still in the one before its event). */
  sockets(list: readonly SocketInfo[]): void {
    const byCookie = new Map<string, SocketInfo>();
    const byTuple = new Map<string, SocketInfo>();
    for (const s of list) {
      if (s.cookie !== null) byCookie.set(s.cookie, s);
      byTuple.set(tupleKey(s.local, s.peer), s);
    }
    // Also the previous read's sockets that are gone now (one generation only, so memory stays one table):
    // a socket's last events (the error, the close) come after it leaves the table.
    this.byCookie = new Map([...this.freshCookie, ...byCookie]);
    this.byTuple = new Map([...this.freshTuple, ...byTuple]);
    this.freshCookie = byCookie;
    this.freshTuple = byTuple;
    this.locals = this.readLocals();
  }

  add(events: readonly KernelEvent[]): LoggedKernelEvent[] {
    const added: LoggedKernelEvent[] = [];
    for (const ev of events) {
      const key = tupleKey(ev.local, ev.remote);
      let cookie = ev.cookie;
      if (cookie !== null) {
        this.cookieOf.delete(key);
        this.cookieOf.set(key, cookie);
        if (this.cookieOf.size > COOKIE_MEMORY) this.cookieOf.delete(this.cookieOf.keys().next().value!);
      } else cookie = this.cookieOf.get(key) ?? null;
      const netns = this.locals.has(ev.local.addr) ? 'this' : 'other';
      const socket = netns === 'this' ? ((cookie !== null ? this.byCookie.get(cookie) : undefined) ?? this.byTuple.get(key) ?? null) : null;
      const logged: LoggedKernelEvent = { ...ev, cookie, seq: ++this.seq, wallS: ev.monoS + this.wallOffsetS, netns, socket };
      this.ring.push(logged);
      added.push(logged);
    }
    if (this.ring.length > KERNEL_RING) this.ring.splice(0, this.ring.length - KERNEL_RING);
    return added;
  }

  /** The events kept, oldest first. */
  get recent(): readonly LoggedKernelEvent[] {
    return this.ring;
  }
}

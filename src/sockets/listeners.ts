import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { streamChild } from './child-stream.js';
import { createProcSource, defaultRoots, type ProcSource } from './proc-source.js';
import { sockdiagPath } from './read-sockets.js';
import { SockdiagDecoder } from './sockdiag-decode.js';
import { parseSsListenRow, SsRecordSplitter } from './ss-parse.js';
import { readSocketTable, type SocketEntry } from './socket-table.js';
import { endpointText } from '../util/ip-text.js';
import type { SocketEndpoint, SocketSource } from './socket-types.js';

/**
 * Listener health: how full each listening socket's accept queue is.
 * For a LISTEN socket the kernel reports (inet_diag, ss -l) the accept
 * queue's current length as Recv-Q (sk_ack_backlog) and its limit as
 * Send-Q (sk_max_ack_backlog): the application's listen() backlog, silently
 * capped at net.core.somaxconn. /proc/net/tcp has the length but not the
 * limit. Handshakes completing while the queue is full are dropped
 * (ListenOverflows): the client thinks it is connected, its data is never
 * acknowledged, and it retransmits until the server resets it.
 */

/** A listener is at risk when its accept queue holds at least this fraction of its backlog. */
export const LISTENER_AT_RISK_FRACTION = 0.8;

/**
 * somaxconn below this is small for a busy server (a reconnect storm fills
 * it): kad audit warns, and a backlog equal to it is reported as capped.
 * 4096 is the kernel's default since 5.4; 128 was the default before.
 */
export const SOMAXCONN_LOW = 1024;

/** The exact remedy, said wherever a full or capped queue is reported. */
export const LISTEN_QUEUE_REMEDY = "raise net.core.somaxconn and the application's listen() backlog, or accept faster";

export interface Listener {
  local: SocketEndpoint;
  /** Connections completed and waiting for accept(). */
  queue: number;
  /** The queue's limit (min(listen() backlog, somaxconn)); null when only /proc was readable. */
  backlog: number | null;
  /** Half-open connections (SYN_RECV request sockets) to this listener's port and address: SYN queue pressure. */
  synRecv: number;
}

export interface ListenerRead {
  listeners: Listener[];
  source: SocketSource;
  fallbackReason: string | null;
}

/** Kernel state numbers: SYN_RECV 3, LISTEN 10, NEW_SYN_RECV 12 (request sockets print as either). */
const LISTEN_MASK = (1 << 3) | (1 << 10) | (1 << 12);

type Row = { state: string; local: SocketEndpoint; recvQ: number; sendQ: number };

async function viaSockdiag(bin: string): Promise<Row[] | string> {
  if (!existsSync(bin)) return `${bin} not built (scripts/install.sh builds it)`;
  const d = new SockdiagDecoder();
  const r = await streamChild(bin, ['-s', LISTEN_MASK.toString(16)], (c) => d.push(c), { timeoutMs: 60_000 });
  if (!r.ok) return r.reason;
  try {
    return d.end();
  } catch (err) {
    return (err as Error).message;
  }
}

async function viaSs(bin: string): Promise<Row[] | string> {
  const rows: Row[] = [];
  const split = new SsRecordSplitter((record) => {
    const row = parseSsListenRow(record);
    if (row) rows.push(row);
  });
  const text = new StringDecoder('utf8');
  const r = await streamChild(bin, ['-H', '-t', '-n', 'state', 'listening', 'state', 'syn-recv'], (c) => split.push(text.write(c)), {
    timeoutMs: 60_000,
  });
  if (!r.ok) return r.reason;
  split.push(text.end());
  split.end();
  return rows;
}

function viaProc(source: ProcSource): Listener[] {
  return listenersFromEntries(readSocketTable(source, (e) => e.state === 'LISTEN' || e.state === 'SYN_RECV').entries);
}

/** Listeners from /proc/net/tcp{,6} rows: rx_queue of a listener is its accept queue; its limit is not printed there. */
export function listenersFromEntries(entries: readonly SocketEntry[]): Listener[] {
  const rows = entries
    .filter((e) => e.state === 'LISTEN' || e.state === 'SYN_RECV')
    .map((e) => ({ state: e.state, local: e.local, recvQ: e.rxQueue, sendQ: -1 }));
  return listenersFromRows(rows, false);
}

/** Listeners from rows of LISTEN and SYN_RECV sockets; `withBacklog` false when the limit is unknown (/proc). */
export function listenersFromRows(rows: readonly Row[], withBacklog: boolean): Listener[] {
  const byEnd = new Map<string, Listener>();
  for (const r of rows) {
    if (r.state !== 'LISTEN') continue;
    byEnd.set(endpointText(r.local), { local: r.local, queue: r.recvQ, backlog: withBacklog ? r.sendQ : null, synRecv: 0 });
  }
  for (const r of rows) {
    if (r.state !== 'SYN_RECV' && r.state !== 'NEW_SYN_RECV') continue;
    // A request socket's local address is the one the SYN was sent to: the listener on it, else a wildcard one on its port.
    const l = byEnd.get(endpointText(r.local)) ?? byEnd.get(`0.0.0.0:${r.local.port}`) ?? byEnd.get(`[::]:${r.local.port}`) ?? undefined;
    if (l) l.synRecv++;
  }
  return [...byEnd.values()];
}

/** This network namespace's listeners, from kad-sockdiag, else ss, else /proc (no backlog). */
export async function readListeners(
  opts: { procRoot?: string; sockdiag?: string; ss?: string; procOnly?: boolean } = {},
): Promise<ListenerRead> {
  const reasons: string[] = [];
  if (!opts.procOnly) {
    const d = await viaSockdiag(opts.sockdiag ?? sockdiagPath());
    if (typeof d !== 'string') return { listeners: listenersFromRows(d, true), source: 'sock_diag', fallbackReason: null };
    reasons.push(d);
    const s = await viaSs(opts.ss ?? 'ss');
    if (typeof s !== 'string') return { listeners: listenersFromRows(s, true), source: 'ss', fallbackReason: reasons.join('; ') };
    reasons.push(s);
  } else reasons.push('asked for proc');
  const source = createProcSource(defaultRoots(opts.procRoot ? { procRoot: opts.procRoot } : {}));
  return { listeners: viaProc(source), source: 'proc', fallbackReason: reasons.join('; ') };
}

export interface ListenerHealth {
  listener: string;
  queue: number;
  backlog: number | null;
  synRecv: number;
  /** queue / backlog; null without a backlog. */
  fill: number | null;
  atRisk: boolean;
  /** The backlog equals a small somaxconn: the application probably asked for more and the kernel cut it. */
  capped: boolean;
  /** In words, naming the remedy; null when healthy. */
  verdict: string | null;
}

/**
 * The rule, in one place: at risk when the accept queue holds at least
 * LISTENER_AT_RISK_FRACTION of the backlog (and at least one connection: a
 * listen(0) socket with an empty queue is not waiting on anyone).
 */
export function listenerHealth(l: Listener, somaxconn: number | null): ListenerHealth {
  const name = endpointText(l.local);
  const fill = l.backlog === null ? null : l.backlog === 0 ? (l.queue > 0 ? Infinity : 0) : l.queue / l.backlog;
  const atRisk = fill !== null && l.queue > 0 && fill >= LISTENER_AT_RISK_FRACTION;
  const capped = l.backlog !== null && somaxconn !== null && l.backlog === somaxconn && somaxconn < SOMAXCONN_LOW;
  let verdict: string | null = null;
  if (atRisk) {
    // The kernel drops a completed handshake once the queue is past its limit (sk_acceptq_is_full: queue > backlog).
    const full = l.queue >= (l.backlog ?? 0);
    verdict =
      `the listen queue of ${name} ${full ? 'is full' : 'is nearly full'} (${l.queue} waiting for accept(), backlog ${l.backlog}): ` +
      `${full ? 'new handshakes complete at the client but are dropped here' : 'new handshakes will soon be dropped'}; ${LISTEN_QUEUE_REMEDY}`;
    if (capped) verdict += ` (the backlog equals net.core.somaxconn = ${somaxconn}: the kernel capped it)`;
  } else if (capped) {
    verdict = `the backlog of ${name} equals net.core.somaxconn = ${somaxconn}: the kernel probably capped what the application asked for; raise net.core.somaxconn`;
  }
  return { listener: name, queue: l.queue, backlog: l.backlog, synRecv: l.synRecv, fill, atRisk, capped, verdict };
}

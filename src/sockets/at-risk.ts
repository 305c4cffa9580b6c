/**
 * What "at risk" means, once, for every view of it: the Prometheus gauge,
 * `kad watch` (stats and at-risk lines), and the TUI's rows and header.
 *
 * A connection is at risk when it is still open and either it is being
 * black-holed already (the capture shows a silent drop, or its socket's
 * keepalive probes go unanswered), or its silence has reached
 * AT_RISK_FRACTION of the idle timeout known for its path and no keepalive
 * probe is due to refresh the path before that timeout.
 *
 * It lives in sockets/ because the richest facts about a silence (keepalive
 * timer, unanswered probes, idle clocks) are the socket table's, and this
 * folder depends only on model/ and util/: the TUI, the CLI and metrics/ can
 * all import it without pulling in capture, diagnosis or live feeds
 * (live/ would be too high: it imports all of those, and the socket view
 * would have to import it back); model/ holds the report's data, not rules.
 */
import type { ConnectionDiagnosis, ConnectionReport, IdleTimeoutInference } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { durationText } from '../util/time-text.js';
import type { PathTimeout, SocketInfo } from './socket-types.js';
import { maxOf } from '../util/extremes.js';

/**
 * At risk from 80 % of the path's timeout on. kad recommend puts the first
 * keepalive probe at KEEPIDLE = T − m·KEEPINTVL − ε, which is 0.75–0.95 T
 * (280 s of 350 s for a NAT gateway, 190 s of Azure's 240 s; jittered 10 %
 * lower): a lower share would flag, for part of every idle period, the
 * connections that follow kad's own advice whenever their socket is not
 * visible (the gauge, a capture without --sockets). 80 % still leaves a
 * fifth of T (70 s of 350 s, 48 s of 240 s) between the alert and the
 * middlebox forgetting the flow: more than a Prometheus scrape interval.
 */
export const AT_RISK_FRACTION = 0.8;

/**
 * The timeout a path is judged against: the shorter of --idle-timeout and
 * the inferred upper bound (the shortest idle that killed a flow on one of
 * `paths`): whichever box forgets first cuts the connection.
 */
export function pathTimeout(paths: readonly string[], idleTimeouts: readonly IdleTimeoutInference[], statedS?: number): PathTimeout | null {
  let best: PathTimeout | null = statedS !== undefined && statedS > 0 ? { timeoutS: statedS, source: 'user', path: null } : null;
  for (const inf of idleTimeouts) {
    if (inf.diedMinS === null || !paths.includes(inf.path)) continue;
    if (!best || inf.diedMinS < best.timeoutS) best = { timeoutS: inf.diedMinS, source: 'inferred', path: inf.path };
  }
  return best;
}

/** What is known, at one moment, about one connection's silence. */
export interface Silence {
  /** Seconds since the path last carried a packet of it; null when nothing tells. */
  idleS: number | null;
  idleFrom: 'socket' | 'capture' | null;
  timeout: PathTimeout | null;
  /** 'unknown' without a socket; a probe due in dueS seconds refreshes the path. */
  keepalive: { dueS: number } | 'off' | 'unknown';
  /** Keepalive probes sent and not answered. */
  unansweredProbes: number;
  /** The capture shows its packets going unanswered. */
  silentDrop: boolean;
}

export type Risk =
  | { kind: 'silent-drop' }
  | { kind: 'unanswered-probes'; probes: number }
  | { kind: 'idle'; idleS: number; timeout: PathTimeout; share: number };

/** The predicate: null when the connection is not at risk. */
export function judgeRisk(s: Silence): Risk | null {
  if (s.silentDrop) return { kind: 'silent-drop' };
  if (s.unansweredProbes > 0) return { kind: 'unanswered-probes', probes: s.unansweredProbes };
  if (s.timeout === null || s.idleS === null) return null;
  const limit = s.timeout.timeoutS;
  if (s.idleS < AT_RISK_FRACTION * limit) return null;
  // The probe refreshes the middlebox if it gets there before the timeout; once past it, nothing can.
  if (typeof s.keepalive === 'object' && s.idleS + s.keepalive.dueS <= limit) return null;
  return { kind: 'idle', idleS: s.idleS, timeout: s.timeout, share: s.idleS / limit };
}

function timeoutText(t: PathTimeout): string {
  const T = durationText(t.timeoutS);
  return t.source === 'user' ? `the ${T} idle timeout given with --idle-timeout` : `the ${T} idle timeout inferred for ${t.path}`;
}

/** The reason in words, for at-risk lines, logs and the detail pane. */
export function riskReason(r: Risk, s: Silence): string {
  if (r.kind === 'silent-drop') return 'its packets go unanswered: a silent drop is under way';
  if (r.kind === 'unanswered-probes') return `${r.probes} keepalive probe(s) unanswered: the peer or the path has stopped answering`;
  const idle = `idle ${durationText(r.idleS)}${s.idleFrom === 'capture' ? ' (per the capture)' : ''}`;
  const past = r.share >= 1 ? `already past ${timeoutText(r.timeout)}` : `${Math.round(100 * r.share)} % of ${timeoutText(r.timeout)}`;
  if (s.keepalive === 'off') return `${idle}, ${past}, and no keepalive timer`;
  if (typeof s.keepalive === 'object')
    return `${idle}, ${past}; the next keepalive probe is due in ${durationText(s.keepalive.dueS)}, too late`;
  return `${idle}, ${past}`;
}

/** A live view's parts that a judgment reads (a LiveSnapshot is one). */
export interface RiskView {
  connections: readonly ConnectionReport[];
  idleTimeouts: readonly IdleTimeoutInference[];
  diagnoses?: readonly Pick<ConnectionDiagnosis, 'conn' | 'silentDrop'>[];
}

export interface RiskContext {
  /** "Now" on the capture clock, epoch seconds. */
  nowS: number;
  idleTimeouts: readonly IdleTimeoutInference[];
  /** --idle-timeout, seconds. */
  statedTimeoutS?: number;
  /** Connections with a silent drop. */
  silentDrops: ReadonlySet<number>;
}

export function riskContext(view: RiskView, nowS: number, statedTimeoutS?: number): RiskContext {
  const silentDrops = new Set((view.diagnoses ?? []).filter((d) => d.silentDrop !== null).map((d) => d.conn));
  return { nowS, idleTimeouts: view.idleTimeouts, statedTimeoutS, silentDrops };
}

/**
 * The sockets' facts, moved on to `nowS`: their clocks were read at
 * s.readAtMs, and a keepalive timer read then has run down since. A socket
 * read is a live observation, stamped with the wall clock that a live
 * capture's clock follows.
 */
function socketFacts(sockets: readonly SocketInfo[], nowS: number): Pick<Silence, 'idleS' | 'keepalive' | 'unansweredProbes'> {
  let idleS: number | null = null;
  let dueS: number | null = null;
  let unanswered = 0;
  let seen = false;
  for (const s of sockets) {
    if (s.state !== 'ESTABLISHED') continue;
    seen = true;
    const sinceRead = s.readAtMs === null ? 0 : Math.max(0, nowS - s.readAtMs / 1000);
    if (s.idleMs !== null) idleS = Math.min(idleS ?? Infinity, s.idleMs / 1000 + sinceRead);
    if (s.keepaliveTimer.state !== 'on') continue;
    // A probe from either end refreshes the middlebox.
    dueS = Math.min(dueS ?? Infinity, Math.max(0, s.keepaliveTimer.nextProbeS - sinceRead));
    unanswered = Math.max(unanswered, s.probesOut);
  }
  return { idleS, keepalive: dueS !== null ? { dueS } : seen ? 'off' : 'unknown', unansweredProbes: unanswered };
}

/** A captured connection with the sockets of this host that carry it; null once it is over. */
export function connectionSilence(c: ConnectionReport, sockets: readonly SocketInfo[], ctx: RiskContext): Silence | null {
  if (c.ended.kind !== 'open') return null;
  const path = endpointText(c.server);
  // Never judged before its newest fact: a clock that stopped with the capture must not undo a later socket read.
  const nowS = Math.max(
    ctx.nowS,
    maxOf(sockets, (s) => (s.readAtMs ?? 0) / 1000, -Infinity),
  );
  const wireIdle = Math.max(0, nowS - Number(c.end));
  const own = socketFacts(sockets, nowS);
  const fromSocket = own.idleS !== null && own.idleS < wireIdle;
  return {
    ...own,
    idleS: fromSocket ? own.idleS : wireIdle,
    idleFrom: fromSocket ? 'socket' : 'capture',
    timeout: pathTimeout([path], ctx.idleTimeouts, ctx.statedTimeoutS),
    silentDrop: ctx.silentDrops.has(c.id),
  };
}

/** Sockets of one connection the capture does not show: either end may be the server. */
export function socketPairSilence(sockets: readonly SocketInfo[], ctx: RiskContext): Silence {
  const own = socketFacts(sockets, ctx.nowS);
  const paths = sockets.flatMap((s) => [endpointText(s.local), endpointText(s.peer)]);
  return {
    ...own,
    idleFrom: own.idleS === null ? null : 'socket',
    timeout: pathTimeout(paths, ctx.idleTimeouts, ctx.statedTimeoutS),
    silentDrop: false,
  };
}

export interface AtRisk {
  /** The captured connection, or null for sockets the capture does not show. */
  conn: number | null;
  sockets: SocketInfo[];
  silence: Silence;
  risk: Risk;
}

/** Both ends of a connection on this host are one connection. */
function pairKey(s: SocketInfo): string {
  const a = endpointText(s.local);
  const b = endpointText(s.peer);
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * The shortest timeout any socket could be judged against (stated or
 * inferred for any path); null when none is known, and then only unanswered
 * probes can put a socket the capture does not show at risk.
 */
function shortestTimeoutS(ctx: RiskContext): number | null {
  let t = ctx.statedTimeoutS !== undefined && ctx.statedTimeoutS > 0 ? ctx.statedTimeoutS : Infinity;
  for (const inf of ctx.idleTimeouts) if (inf.diedMinS !== null && inf.diedMinS < t) t = inf.diedMinS;
  return t === Infinity ? null : t;
}

/**
 * Could this socket's pair be at risk? A necessary condition of judgeRisk
 * on socketPairSilence, checked without building any string: a pair is at
 * risk only through unanswered probes (some ESTABLISHED socket of it has
 * them) or through an idle time of at least AT_RISK_FRACTION of its
 * timeout, which is the minimum over its ESTABLISHED sockets' clocks, so
 * each of them is at least that share of the shortest timeout known. At
 * 10^5–10^6 sockets, grouping every pair by its text key cost seconds per
 * refresh; on a healthy host no socket passes this test.
 */
function mayBeAtRisk(s: SocketInfo, nowS: number, shortestS: number | null): boolean {
  if (s.state !== 'ESTABLISHED') return false;
  if (s.keepaliveTimer.state === 'on' && s.probesOut > 0) return true;
  if (shortestS === null || s.idleMs === null) return false;
  const sinceRead = s.readAtMs === null ? 0 : Math.max(0, nowS - s.readAtMs / 1000);
  return s.idleMs / 1000 + sinceRead >= AT_RISK_FRACTION * shortestS;
}

/** Both ends of a pair share this (ports unordered): a cheap pre-filter before the text key. */
function portPair(s: SocketInfo): number {
  const a = s.local.port;
  const b = s.peer.port;
  return a < b ? a * 65536 + b : b * 65536 + a;
}

function addTo<K>(m: Map<K, SocketInfo[]>, k: K, s: SocketInfo): void {
  const list = m.get(k);
  if (list) list.push(s);
  else m.set(k, [s]);
}

/**
 * Every connection at risk at ctx.nowS, each once: the captured ones (with
 * their joined sockets' facts), then the socket pairs the capture does not
 * show. What the gauge, the stats line and the TUI header count.
 */
export function connectionsAtRisk(connections: readonly ConnectionReport[], sockets: readonly SocketInfo[], ctx: RiskContext): AtRisk[] {
  const byConn = new Map<number, SocketInfo[]>();
  const shortestS = shortestTimeoutS(ctx);
  // Pairs the capture does not show are grouped only when one of their sockets may be at risk.
  const candidatePorts = new Set<number>();
  for (const s of sockets) {
    if (s.conn !== null) addTo(byConn, s.conn, s);
    else if (mayBeAtRisk(s, ctx.nowS, shortestS)) candidatePorts.add(portPair(s));
  }
  const unjoined = new Map<string, SocketInfo[]>();
  if (candidatePorts.size > 0) {
    for (const s of sockets) {
      // Non-ESTABLISHED sockets carry no facts into a pair's silence (socketFacts skips them).
      if (s.conn === null && s.state === 'ESTABLISHED' && candidatePorts.has(portPair(s))) addTo(unjoined, pairKey(s), s);
    }
  }
  const out: AtRisk[] = [];
  for (const c of connections) {
    const own = byConn.get(c.id) ?? [];
    const silence = connectionSilence(c, own, ctx);
    const risk = silence && judgeRisk(silence);
    if (silence && risk) out.push({ conn: c.id, sockets: own, silence, risk });
  }
  for (const group of unjoined.values()) {
    const silence = socketPairSilence(group, ctx);
    const risk = judgeRisk(silence);
    if (risk) out.push({ conn: null, sockets: group, silence, risk });
  }
  return out;
}

/** A feed that knows its own capture-time "now" (a replay's virtual clock). */
export interface ClockedFeed {
  captureNowEpochS(): number | null;
}

function isClockedFeed(feed: object | null): feed is ClockedFeed {
  return feed !== null && typeof (feed as Partial<ClockedFeed>).captureNowEpochS === 'function';
}

/**
 * "Now" on the capture's clock (epoch seconds), so that idle times keep
 * growing between packets and a replay is not judged by today's date. A
 * replay supplies its virtual clock. A live source stamps packets on
 * arrival, so its clock advances like the wall clock since the newest
 * packet; this holds even for a pcap stream whose timestamps lag the wall
 * clock. Once the source has ended, time stops at its last packet.
 */
export class CaptureClock {
  private anchorS = Number.NEGATIVE_INFINITY;
  private anchorWallMs = 0;
  private ended = false;

  constructor(
    private readonly feed: object | null = null,
    private readonly wallNowMs: () => number = Date.now,
  ) {}

  /** The newest packet time so far (epoch seconds), seen at wall time `wallMs`. */
  observe(packetS: number, wallMs = this.wallNowMs()): void {
    if (packetS > this.anchorS) {
      this.anchorS = packetS;
      this.anchorWallMs = wallMs;
    }
  }

  end(): void {
    this.ended = true;
  }

  /** Epoch seconds at wall time `wallMs`; null until the first packet. */
  now(wallMs = this.wallNowMs()): number | null {
    if (isClockedFeed(this.feed)) {
      const e = this.feed.captureNowEpochS();
      if (e !== null) return Math.max(e, this.anchorS);
    }
    if (this.anchorS === Number.NEGATIVE_INFINITY) return null;
    if (this.ended) return this.anchorS;
    return this.anchorS + Math.max(0, wallMs - this.anchorWallMs) / 1000;
  }
}

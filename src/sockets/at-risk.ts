/**
 * What "at risk" means, once, for every view of it: the Prometheus gauge,
 * `kad watch` (stats and at-risk lines), and the TUI's rows and header.
 *
 * What is known of a path's idle timeout T is its estimate (pathTimeout):
 * unknown, bracketed by the traffic (survived < T ≤ died), or given
 * (--idle-timeout, --behind, --timeout-from). A connection is at risk when
 * it is still open and it is black-holed already, or its silence nears the
 * lower end of what T can be, or its keepalive comes at or after T's upper
 * bound, or (nothing known) it nears the shortest common middlebox default:
 * judgeRisk has the rules in order. The lower end, not a point estimate:
 * a warning must come before the shortest timeout still possible.
 *
 * It lives in sockets/ because the richest facts about a silence (keepalive
 * timer, unanswered probes, idle clocks) are the socket table's, and this
 * folder depends only on model/, util/ and recommend/'s presets: the TUI, the CLI and metrics/ can
 * all import it without pulling in capture, diagnosis or live feeds
 * (live/ would be too high: it imports all of those, and the socket view
 * would have to import it back); model/ holds the report's data, not rules.
 */
import type { ConnectionDiagnosis, ConnectionReport, IdleTimeoutInference } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { durationText } from '../util/time-text.js';
import type { PathTimeout, SocketInfo } from './socket-types.js';
import { maxOf } from '../util/extremes.js';
import { shortestCommonDefault } from '../recommend/presets.js';
import { slackFor } from '../recommend/keepalive-solver.js';

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
 * A timeout the user gave for every path: --idle-timeout (lowS = highS = T),
 * --behind PRESET (the preset's default), or --timeout-from FILE (a kad probe
 * --json result: the bracket it measured).
 */
export interface GivenTimeout {
  /** T is above this (a probe's longest survived idle; T itself otherwise); null when the probe found none. */
  lowS: number | null;
  /** T is at most this; null when the probe saw nothing die up to its --max. */
  highS: number | null;
  /** In words, for reasons and the header: "--idle-timeout", "--behind azure-lb (Azure Load Balancer …)". */
  from: string;
}

/** What the commands pass down: a GivenTimeout, or a plain number of seconds as --idle-timeout gives it. */
export type StatedTimeout = number | GivenTimeout;

/** The stated timeout as a GivenTimeout; null when none (or a zero --idle-timeout, which means none). */
export function givenTimeout(stated: StatedTimeout | undefined | null): GivenTimeout | null {
  if (stated === undefined || stated === null) return null;
  if (typeof stated === 'number') return stated > 0 ? { lowS: stated, highS: stated, from: '--idle-timeout' } : null;
  return stated.lowS === null && stated.highS === null ? null : stated;
}

/** "T = 8 s (--idle-timeout)", "3 s < T ≤ 5 s (kad probe x.json)": what the header and the at-risk lines say of it. */
export function givenText(g: GivenTimeout): string {
  const lo = g.lowS === null ? null : durationText(g.lowS);
  const hi = g.highS === null ? null : durationText(g.highS);
  const t = g.lowS === g.highS ? `T = ${lo}` : lo === null ? `T ≤ ${hi}` : hi === null ? `T > ${lo}` : `${lo} < T ≤ ${hi}`;
  return `${t} (${g.from})`;
}

/**
 * With nothing known of a path, a silence is judged against the shortest
 * default of the common middleboxes (recommend/presets.ts says which): a
 * connection idle near that long may already cross a box that forgets it,
 * and only a measurement (kad probe) can say.
 */
export const UNVERIFIED = shortestCommonDefault();

/**
 * The late-keepalive rule waits until a fifth of the upper bound has passed
 * in silence: a busy connection re-arms its keepalive timer with every
 * packet, so "the probe comes too late" describes a silence only once one is
 * under way. A fifth is what AT_RISK_FRACTION leaves between the idle alert
 * and T: the early alert takes no longer to appear than the idle alert's
 * margin.
 */
export const LATE_KEEPALIVE_SILENCE = 1 - AT_RISK_FRACTION;

/**
 * What is known of the idle timeout of the path that carries `paths` (a
 * connection's server endpoint; both ends of a socket pair): null when
 * nothing ('unknown'). The traffic's bracket is the one whose flow died
 * soonest (whichever box forgets first cuts the connection); a bracket
 * whose flows all survived bounds nothing and is left out. A given timeout
 * holds unless the traffic shows a flow dying sooner than it says: then
 * some box on the path forgets first, and the bracket is what is known.
 */
export function pathTimeout(
  paths: readonly string[],
  idleTimeouts: readonly IdleTimeoutInference[],
  stated?: StatedTimeout,
): PathTimeout | null {
  let inf: IdleTimeoutInference | null = null;
  for (const i of idleTimeouts) {
    if (i.diedMinS === null || !paths.includes(i.path)) continue;
    if (inf === null || i.diedMinS < inf.diedMinS!) inf = i;
  }
  const given = givenTimeout(stated);
  if (given !== null) {
    const judged = given.lowS ?? given.highS!;
    if (inf === null || inf.diedMinS! >= judged) {
      return { state: 'given', timeoutS: judged, lowS: given.lowS, highS: given.highS, source: 'user', from: given.from, path: null };
    }
  }
  if (inf === null) return null;
  // A survived bound above the died one (two timeouts on one path) is no lower end of T.
  const lowS = inf.consistent && inf.survivedMaxS !== null && inf.survivedMaxS < inf.diedMinS! ? inf.survivedMaxS : null;
  return {
    state: 'bracketed',
    timeoutS: lowS ?? inf.diedMinS!,
    lowS,
    highS: inf.diedMinS,
    source: 'inferred',
    from: `inferred for ${inf.path}`,
    path: inf.path,
  };
}

/**
 * From what idle on a probe counts as arriving at T's upper bound. A given T
 * is the box's own setting: a probe at T is in time, as kad recommend sizes
 * it. A bracket's upper bound is an idle that killed a flow, measured on the
 * capture's clock: the same keepalive setting fires within timer slack of
 * it (a 12 s TCP_KEEPIDLE measured 11.998 s or 12.004 s of silence), so a
 * probe within kad recommend's ε of that bound is the probe that died, and
 * is late.
 */
function fatalIdleS(t: PathTimeout): number | null {
  if (t.highS === null) return null;
  return t.state === 'given' ? t.highS : t.highS - slackFor(t.highS);
}

/** 'unknown', 'bracketed' or 'given': the state of a path's timeout estimate, as views print it. */
export function timeoutState(t: PathTimeout | null): 'unknown' | 'bracketed' | 'given' {
  return t === null ? 'unknown' : t.state;
}

/** What is known, at one moment, about one connection's silence. */
export interface Silence {
  /** Seconds since the path last carried a packet of it; null when nothing tells. */
  idleS: number | null;
  idleFrom: 'socket' | 'capture' | null;
  /** Null: nothing known of the path's timeout (state 'unknown'). */
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
  /** Idle near the lower end of what T can be, with no probe due in time. */
  | { kind: 'idle'; idleS: number; timeout: PathTimeout; share: number }
  /** Idle, and the socket's next keepalive probe reaches the path at or after T's upper bound. */
  | { kind: 'late-keepalive'; idleS: number; timeout: PathTimeout; probeAtS: number }
  /** Nothing known of the path, and idle near the shortest common middlebox default. */
  | { kind: 'unverified'; idleS: number; defaultS: number };

/**
 * The predicate: null when the connection is not at risk. In order:
 *  1. its packets go unanswered (a silent drop, unanswered keepalive probes);
 *  2. idle for AT_RISK_FRACTION of the lower end of what T can be (a given
 *     T; the longest idle that survived; with only a death seen, that idle),
 *     and no keepalive probe known to come in time: at or before the lower
 *     end, or, with only an upper bound, before it (fatalIdleS). A probe at
 *     the upper bound itself is not in time: a flow died at that idle;
 *  3. silent for LATE_KEEPALIVE_SILENCE of the upper bound, with the
 *     socket's keepalive timer firing at or after it (fatalIdleS): the probe
 *     that should save the flow comes when the flow may already be forgotten;
 *  4. nothing known of the path: idle for AT_RISK_FRACTION of the shortest
 *     common default ('unverified': kad probe can measure the path).
 */
export function judgeRisk(s: Silence): Risk | null {
  if (s.silentDrop) return { kind: 'silent-drop' };
  if (s.unansweredProbes > 0) return { kind: 'unanswered-probes', probes: s.unansweredProbes };
  if (s.idleS === null) return null;
  const t = s.timeout;
  if (t === null) {
    return s.idleS >= AT_RISK_FRACTION * UNVERIFIED.timeoutS ? { kind: 'unverified', idleS: s.idleS, defaultS: UNVERIFIED.timeoutS } : null;
  }
  // When this host's socket will next put a packet on the path; null: no socket to tell.
  const probeAtS = typeof s.keepalive === 'object' ? s.idleS + s.keepalive.dueS : null;
  const fatalS = fatalIdleS(t);
  if (s.idleS >= AT_RISK_FRACTION * t.timeoutS) {
    const inTime = probeAtS !== null && (t.lowS !== null ? probeAtS <= t.lowS : probeAtS < fatalS!);
    if (!inTime) return { kind: 'idle', idleS: s.idleS, timeout: t, share: s.idleS / t.timeoutS };
  }
  const late = probeAtS !== null && fatalS !== null && (t.state === 'given' ? probeAtS > fatalS : probeAtS >= fatalS);
  if (late && s.idleS >= LATE_KEEPALIVE_SILENCE * t.highS!) {
    return { kind: 'late-keepalive', idleS: s.idleS, timeout: t, probeAtS: probeAtS! };
  }
  return null;
}

function timeoutText(t: PathTimeout): string {
  if (t.state === 'given') {
    const T = durationText(t.timeoutS);
    return t.from === '--idle-timeout' ? `the ${T} idle timeout given with --idle-timeout` : `the ${T} idle timeout of ${t.from}`;
  }
  return t.lowS !== null
    ? `${durationText(t.lowS)}, the longest idle that survived on ${t.path} (T ≤ ${durationText(t.highS!)})`
    : `the ${durationText(t.timeoutS)} idle after which a flow to ${t.path} died (T may be shorter)`;
}

/** The reason in words, for at-risk lines, logs and the detail pane. */
export function riskReason(r: Risk, s: Silence): string {
  if (r.kind === 'silent-drop') return 'its packets go unanswered: a silent drop is under way';
  if (r.kind === 'unanswered-probes') return `${r.probes} keepalive probe(s) unanswered: the peer or the path has stopped answering`;
  const idle = `idle ${durationText(r.idleS)}${s.idleFrom === 'capture' ? ' (per the capture)' : ''}`;
  if (r.kind === 'unverified') {
    return (
      `unverified: ${idle}, ${r.idleS >= r.defaultS ? 'past' : 'near'} ${durationText(r.defaultS)}, the shortest common middlebox default (${UNVERIFIED.ids.join(', ')}), ` +
      'and no idle timeout is known for this path: measure it with kad probe, or give it with --idle-timeout or --behind'
    );
  }
  if (r.kind === 'late-keepalive') {
    const t = r.timeout;
    const where = t.state === 'given' ? t.from : `a flow to ${t.path} died at that idle`;
    return `${idle}; its next keepalive probe reaches the path at ${durationText(r.probeAtS)} idle, not before T's upper bound ${durationText(t.highS!)} (${where}): too late`;
  }
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
  /** --idle-timeout (seconds), --behind or --timeout-from. */
  statedTimeoutS?: StatedTimeout;
  /** Connections with a silent drop. */
  silentDrops: ReadonlySet<number>;
}

export function riskContext(view: RiskView, nowS: number, statedTimeoutS?: StatedTimeout): RiskContext {
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
 * The least idle time at which judgeRisk can put a silence at risk on any
 * path (unanswered probes aside): AT_RISK_FRACTION of the unverified default
 * (a path with nothing known), and the shorter share (AT_RISK_FRACTION,
 * LATE_KEEPALIVE_SILENCE) of every bound known, given or inferred.
 */
function leastRiskyIdleS(ctx: RiskContext): number {
  let bound = Infinity;
  const g = givenTimeout(ctx.statedTimeoutS);
  if (g !== null) bound = Math.min(bound, g.lowS ?? Infinity, g.highS ?? Infinity);
  for (const inf of ctx.idleTimeouts) {
    if (inf.diedMinS === null) continue;
    bound = Math.min(bound, inf.diedMinS, inf.survivedMaxS ?? Infinity);
  }
  return Math.min(AT_RISK_FRACTION * UNVERIFIED.timeoutS, Math.min(AT_RISK_FRACTION, LATE_KEEPALIVE_SILENCE) * bound);
}

/**
 * Could this socket's pair be at risk? A necessary condition of judgeRisk
 * on socketPairSilence, checked without building any string: a pair is at
 * risk only through unanswered probes (some ESTABLISHED socket of it has
 * them) or through an idle time of at least leastRiskyIdleS, which is the
 * minimum over its ESTABLISHED sockets' clocks, so each of them is at least
 * that long. At 10^5–10^6 sockets, grouping every pair by its text key cost
 * seconds per refresh; on a healthy host no socket passes this test.
 */
function mayBeAtRisk(s: SocketInfo, nowS: number, leastIdleS: number): boolean {
  if (s.state !== 'ESTABLISHED') return false;
  if (s.keepaliveTimer.state === 'on' && s.probesOut > 0) return true;
  if (s.idleMs === null) return false;
  const sinceRead = s.readAtMs === null ? 0 : Math.max(0, nowS - s.readAtMs / 1000);
  return s.idleMs / 1000 + sinceRead >= leastIdleS;
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
  const leastIdleS = leastRiskyIdleS(ctx);
  // Pairs the capture does not show are grouped only when one of their sockets may be at risk.
  const candidatePorts = new Set<number>();
  for (const s of sockets) {
    if (s.conn !== null) addTo(byConn, s.conn, s);
    else if (mayBeAtRisk(s, ctx.nowS, leastIdleS)) candidatePorts.add(portPair(s));
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

/** Open connections by what is known of their path's idle timeout: how many are judged against nothing yet. */
export function openByTimeoutState(
  connections: readonly ConnectionReport[],
  ctx: RiskContext,
): Record<'unknown' | 'bracketed' | 'given', number> {
  const out = { unknown: 0, bracketed: 0, given: 0 };
  for (const c of connections) {
    if (c.ended.kind !== 'open') continue;
    out[timeoutState(pathTimeout([endpointText(c.server)], ctx.idleTimeouts, ctx.statedTimeoutS))]++;
  }
  return out;
}

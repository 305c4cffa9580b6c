import type { ConnectionDiagnosis, ConnectionReport, IdleTimeoutInference } from '../model/analysis-report.js';
import { connectionSilence, judgeRisk, pathTimeout, type Risk, type Silence, type StatedTimeout } from '../sockets/at-risk.js';
import type { PathTimeout, SocketInfo } from '../sockets/socket-types.js';
import { endpointText } from '../util/ip-text.js';
import { relSeconds } from './format.js';
import type { Colour } from './timeline.js';

export type SortMode = 'risk' | 'idle' | 'age';
export const SORT_MODES: readonly SortMode[] = ['risk', 'idle', 'age'];

/** The idle timeout a connection is judged against (see pathTimeout), and its path's inference for the detail pane. */
export interface TimeoutFor extends PathTimeout {
  inference: IdleTimeoutInference | null;
}

export interface ConnRow {
  id: number;
  conn: ConnectionReport;
  diag: ConnectionDiagnosis | null;
  /** The socket that stands for the connection (the server's end when both are here). */
  socket: SocketInfo | null;
  path: string;
  /** Seconds after the tracker's time base. */
  startS: number;
  lastS: number;
  ended: boolean;
  /** Still open: the only rows that can be at risk, and that never fold into the closed group. */
  open: boolean;
  ageS: number;
  /** Silence so far; null once the connection is over. */
  idleS: number | null;
  timeout: TimeoutFor | null;
  /** Everything judged (null once the connection is no longer open), and the verdict (src/sockets/at-risk.ts). */
  silence: Silence | null;
  atRisk: Risk | null;
  /** Sort score. */
  risk: number;
  riskText: string;
  /** riskText for a narrow column, saying the same in fewer words. */
  riskShort: string;
  riskColour: Colour | null;
}

export interface RowContext {
  baseSec: number;
  baseNsec: number;
  /** Capture-clock now, seconds after the time base. */
  nowS: number;
  idleTimeouts: readonly IdleTimeoutInference[];
  statedTimeoutS?: StatedTimeout;
  diagnoses: ReadonlyMap<number, ConnectionDiagnosis>;
  /** This host's sockets of each connection (both ends when both are here). */
  sockets: ReadonlyMap<number, readonly SocketInfo[]>;
  /** kad live --kernel: the error an application on this host got on the connection ("ECONNRESET"). */
  appErrors?: ReadonlyMap<number, string>;
}

/** Over means over: the connection will not be idle-timed-out any more. */
export function isOver(c: ConnectionReport): boolean {
  return c.ended.kind === 'fin' || c.ended.kind === 'reset' || c.ended.kind === 'rejected';
}

export function timeoutFor(path: string, ctx: Pick<RowContext, 'idleTimeouts' | 'statedTimeoutS'>): TimeoutFor | null {
  const t = pathTimeout([path], ctx.idleTimeouts, ctx.statedTimeoutS);
  return t && { ...t, inference: ctx.idleTimeouts.find((i) => i.path === path) ?? null };
}

const NONE: ReadonlySet<number> = new Set();

/** The server's end stands for the connection when both ends are on this host. */
function representative(sockets: readonly SocketInfo[]): SocketInfo | null {
  return sockets.find((s) => s.side === 'server') ?? sockets[0] ?? null;
}

export function buildRow(conn: ConnectionReport, ctx: RowContext): ConnRow {
  const startS = relSeconds(conn.start, ctx.baseSec, ctx.baseNsec);
  const lastS = relSeconds(conn.end, ctx.baseSec, ctx.baseNsec);
  const ended = isOver(conn);
  const path = endpointText(conn.server);
  const diag = ctx.diagnoses.get(conn.id) ?? null;
  const sockets = ctx.sockets.get(conn.id) ?? [];
  const silence = connectionSilence(conn, sockets, {
    nowS: ctx.baseSec + ctx.baseNsec / 1e9 + ctx.nowS,
    idleTimeouts: ctx.idleTimeouts,
    statedTimeoutS: ctx.statedTimeoutS,
    silentDrops: diag?.silentDrop ? new Set([conn.id]) : NONE,
  });
  const row: ConnRow = {
    id: conn.id,
    conn,
    diag,
    socket: representative(sockets),
    path,
    startS,
    lastS,
    ended,
    open: conn.ended.kind === 'open',
    ageS: ended ? lastS - startS : Math.max(lastS, ctx.nowS) - startS,
    idleS: ended ? null : Math.max(0, ctx.nowS - lastS),
    timeout: timeoutFor(path, ctx),
    silence,
    atRisk: silence && judgeRisk(silence),
    risk: 0,
    riskText: '',
    riskShort: '',
    riskColour: null,
  };
  assess(row);
  // The kernel's word that the application heard of it: what an operator matches against the app's own logs.
  const appError = ctx.appErrors?.get(conn.id);
  if (appError) {
    row.riskText = `${row.riskText} · app got ${appError}`;
    row.riskShort = `${row.riskShort} · ${appError}`;
  }
  return row;
}

/**
 * Worst first: a forged reset, then black holes, then connections whose
 * current silence nears the path's idle timeout. Scores only order rows.
 */
function assess(r: ConnRow): void {
  const set = (risk: number, text: string, colour: Colour | null, short = text) => {
    r.risk = risk;
    r.riskText = text;
    r.riskShort = short;
    r.riskColour = colour;
  };
  const rst = r.diag?.resets[0];
  const drop = r.diag?.silentDrop;
  const setup = r.diag?.setup;
  if (setup?.kind === 'injected-rst') return set(100, `injected RST at set-up (${setup.confidence.toFixed(2)})`, 'red', 'injected RST');
  if (rst?.attribution === 'middlebox') return set(100, `middlebox RST (${rst.confidence.toFixed(2)})`, 'red');
  // A failed set-up is the cause; its RSTs and unanswered data are how it showed.
  if (setup) return set(85, `set-up: ${setup.kind} (${setup.confidence.toFixed(2)})`, 'red', `set-up: ${setup.kind}`);
  // A black hole is the story even when the sender's own stack gave up with a RST afterwards.
  if (drop) return set(90, `silent drop: ${drop.kind}`, 'red');
  if (rst?.attribution === 'unknown') return set(80, 'RST, unknown origin', 'yellow');
  if (rst) return set(30, `${rst.attribution} RST`, 'green');
  if (r.diag) return set(60, r.diag.verdict, 'yellow');
  const a = r.atRisk;
  if (a?.kind === 'unanswered-probes')
    return set(75, `AT RISK: ${a.probes} keepalive probe(s) unanswered`, 'yellow', `AT RISK: ${a.probes} probe(s) unanswered`);
  if (a?.kind === 'late-keepalive')
    return set(65 + Math.min(a.probeAtS / a.timeout.highS!, 4), 'AT RISK: keepalive too late', 'yellow', 'AT RISK: late keepalive');
  if (a?.kind === 'unverified') return set(55, 'UNVERIFIED: idle past common defaults (kad probe)', 'yellow', 'UNVERIFIED (kad probe)');
  if (a?.kind === 'idle') {
    const pct = `${Math.round(a.share * 100)}% of T`;
    return a.share >= 1
      ? set(70 + Math.min(a.share, 9), `AT RISK: idle past T (${pct})`, 'red', 'AT RISK: idle past T')
      : set(60 + a.share * 10, `AT RISK: idle ${pct}`, 'yellow');
  }
  if (r.silence === null) return set(0, r.conn.ended.kind === 'fin' ? 'closed' : r.conn.ended.kind, null);
  if (r.silence.timeout && r.silence.idleS !== null) {
    const share = r.silence.idleS / r.silence.timeout.timeoutS;
    const pct = Math.round(share * 100);
    const due = typeof r.silence.keepalive === 'object' ? ', keepalive due' : '';
    return set(share * 50, `ok (idle ${pct}% of T${due})`, 'green', `ok (${pct}% of T)`);
  }
  // Nothing known of the path's timeout: "ok" would be a claim nobody can back.
  return r.silence.timeout === null ? set(0, 'unknown (no timeout known)', null, 'unknown') : set(0, 'ok', null);
}

export function rowMatches(r: ConnRow, filter: string): boolean {
  if (filter === '') return true;
  const f = filter.toLowerCase();
  const text = `#${r.id} ${endpointText(r.conn.client)} ${r.path}`.toLowerCase();
  return text.includes(f);
}

/**
 * Rows in display order. By risk, live connections at risk come first
 * whatever the closed ones' verdicts: those can still be saved, a reset one
 * cannot. Within a tier, worst first; ties by idle time, then by number.
 */
export function sortRows(rows: ConnRow[], mode: SortMode): ConnRow[] {
  const idle = (r: ConnRow) => r.idleS ?? -1;
  const tier = (r: ConnRow) => (r.atRisk !== null ? 0 : 1);
  const by: Record<SortMode, (a: ConnRow, b: ConnRow) => number> = {
    risk: (a, b) => tier(a) - tier(b) || b.risk - a.risk || idle(b) - idle(a) || a.id - b.id,
    idle: (a, b) => idle(b) - idle(a) || b.risk - a.risk || a.id - b.id,
    age: (a, b) => b.ageS - a.ageS || a.id - b.id,
  };
  return rows.sort(by[mode]);
}

export function stateText(c: ConnectionReport): string {
  return c.ended.by ? `${c.ended.kind} (${c.ended.by})` : c.ended.kind;
}

/** First row to show so that the selection stays visible in `height` lines. */
export function scrollTop(selected: number, count: number, height: number, previousTop: number): number {
  if (height <= 0 || count <= height) return 0;
  let top = Math.min(previousTop, count - height);
  if (selected < top) top = selected;
  if (selected >= top + height) top = selected - height + 1;
  return Math.max(0, top);
}

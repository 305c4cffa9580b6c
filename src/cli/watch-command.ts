import type { Command } from 'commander';
import { LiveModel, type LiveSnapshot } from '../live/live-model.js';
import { LineWriter } from './line-writer.js';
import { milliseconds, wholeNumber } from './option-values.js';
import { DEFAULT_MAX_PATHS } from '../metrics/path-labels.js';
import type { ResetVerdict, SetupVerdict, SilentDropVerdict } from '../model/analysis-report.js';
import { annotateSockets, socketKey } from '../sockets/annotate-sockets.js';
import { endpointText } from '../util/ip-text.js';
import { readSockets } from '../sockets/read-sockets.js';
import { RefreshGate } from '../sockets/refresh-gate.js';
import { fillOwners } from '../sockets/socket-owners.js';
import { fillKeepaliveOptions, keepaliveAgainstPath } from '../sockets/exact-keepalive.js';
import { CaptureClock, connectionsAtRisk, openByTimeoutState, riskContext, timeoutState, type AtRisk } from '../sockets/at-risk.js';
import type { SocketInfo, SocketRead } from '../sockets/socket-types.js';
import { epochText } from '../util/time-text.js';
import { addSourceOptions, openFeed, registerLive, TIMESTAMP_HELP, type SourceFlags } from './live-command.js';
import { UserError } from '../model/errors.js';
import { ERRNO_NAMES } from '../model/kernel-event.js';
import type { LoggedKernelEvent } from '../kernel/kernel-log.js';
import { kernelNote } from '../kernel/kernel-verdict.js';
import type { CaptureMatch } from '../diagnose/kernel-evidence.js';
import { KERNEL_VERDICT_HOLD_MS, KernelSource } from '../live/kernel-source.js';
import { NoCaptureFeed } from '../live/no-capture-feed.js';
import type { PacketFeed } from '../live/packet-feed.js';
import { statedTimeout } from './given-timeout.js';
import type { StatedTimeout } from '../sockets/at-risk.js';
import { CounterDeltas, nonZero } from '../sockets/kernel-counters.js';
import { createProcSource, defaultRoots } from '../sockets/proc-source.js';
import { ListenerAlerts, readListenerHealth } from '../sockets/host-health.js';
import type { ListenerHealth, ListenerRead } from '../sockets/listeners.js';

interface WatchFlags extends SourceFlags {
  sockets?: boolean;
  kernel?: boolean;
  /** --no-capture: false. */
  capture: boolean;
  refresh: number;
  statsInterval: number;
  metrics?: string;
  metricsMaxPaths: number;
}

export function registerWatch(program: Command): void {
  addSourceOptions(
    program
      .command('watch')
      .description('headless live diagnosis: print resets, silent drops, at-risk sockets and stats as JSON Lines on stdout'),
  )
    .option('--sockets', "read this host's socket table (ss, else /proc/net/tcp) every refresh and report sockets newly at risk")
    .option('--refresh <ms>', 're-diagnose (and re-read sockets) every <ms> milliseconds', milliseconds(100), 1000)
    .option(
      '--stats-interval <ms>',
      'print a stats line every <ms> milliseconds (at refresh granularity); 0 = only the final one',
      milliseconds(100, 'only the final one'),
      10_000,
    )
    .option('--metrics <addr>', 'also serve Prometheus metrics on <addr> (e.g. :9464, 127.0.0.1:9464)')
    .option(
      '--metrics-max-paths <n>',
      'with --metrics: at most <n> paths (server endpoints) get their own path label; resets and drops on later ones count under path="other"',
      wholeNumber('path count', 0),
      DEFAULT_MAX_PATHS,
    )
    .option(
      '--kernel',
      "also read this host's TCP tracepoints (RSTs sent and received, errors handed to applications, state changes, retransmissions; root, tracefs): kernel lines, and evidence for the verdicts",
    )
    .option('--no-capture', 'with --kernel: capture no packets, only the socket table and kernel events (a server too busy to capture)')
    .addHelpText(
      'after',
      `${TIMESTAMP_HELP}
Output: one JSON object per line, "type" first:
  reset        a new RST verdict (fields of ResetVerdict, src/model/analysis-report.ts; ts = the RST's time) + client, server
  silent-drop  a new silent-drop verdict (SilentDropVerdict) + client, server
  setup        a new set-up verdict (SetupVerdict: kind, confidence, summary, evidence; again if the kind changes) + ts, client, server
  at-risk      a socket newly at risk (--sockets): local, peer, idleS, risk (idle, late-keepalive, unverified,
               silent-drop, unanswered-probes), timeoutState (unknown|bracketed|given), timeoutS, timeoutLowS,
               timeoutHighS, timeoutFrom, keepalive, pid, process, cookie, reason
  stats        packets, packetsPerSec, captureGaps, connections, atRisk (as kad_connections_at_risk),
               timeouts {unknown, bracketed, given} (open connections by what is known of their path's timeout), resetsBy, …;
               with --sockets, sockets: {source (sock_diag|ss|proc), count, atRisk, refreshMs (read + judge),
               skipped (refreshes due while one was in flight), intervalMs (grows with the table), fallbackReason,
               listeners {count, atRisk, source}}; unless -r: counters {ListenOverflows, ListenDrops, …}, the kernel's
               TCP counters of this network namespace that went up since the previous stats line (absent = 0;
               meanings: src/sockets/counter-meanings.ts, README "Kernel counters"); the last one has "final": true
  listener     with --sockets: a listening socket newly at risk (accept queue at 80 % of its backlog or more) or whose
               backlog equals a small net.core.somaxconn: local, queue, backlog, synRecv, atRisk, capped, verdict (names the fix)
  kernel       with --kernel: event (receive-reset, send-reset, error, state, retransmit), ts, local, remote (the
               socket's own view), netns ("this", or "other": a socket of another network namespace, left
               unjoined), and when known: cookie, state, oldState, reason, errno, error, pid, process, keepalive,
               probesOut, conn, rstFrame (the captured RST it is), verdict, unknown (what cannot be known
               from here), decide (what would decide it)
  metrics      with --metrics: the URL being served (first line)
Ends on SIGINT/SIGTERM, or when the file/stdin source ends, with exit status 0.

Examples:
  sudo kad watch -i eth0 --sockets --idle-timeout 350
  sudo kad watch -i eth0 --sockets --behind azure-lb --metrics :9464
  sudo kad watch -f 'tcp port 443' | jq 'select(.type=="reset" and .attribution=="middlebox")'
  kad watch -r capture.pcapng
  sudo kad watch -i eth0 --kernel
  sudo kad watch --kernel --no-capture`,
    )
    .action(async (flags: WatchFlags) => {
      await runWatch(flags);
    });
}

function wallText(): string {
  const now = Date.now();
  return epochText(Math.floor(now / 1000), (now % 1000) * 1_000_000);
}

/** --metrics hook: issue 7 implements src/metrics/metrics-server.ts; kad watch only starts and stops it. */
const METRICS_MODULE = '../metrics/metrics-server.js';
interface MetricsHandle {
  close(): Promise<void>;
  /** Where to scrape, when the server says. */
  url?: string;
  /** Takes each annotated socket table, so that the at-risk gauge counts what the at-risk lines say. */
  sockets?(list: readonly SocketInfo[]): void;
  /** --kernel: an application got one of these errors on a connection to `path`. */
  kernelError?(path: string, errno: 'ECONNRESET' | 'ETIMEDOUT'): void;
  /** --sockets: every listener's health at the last refresh. */
  listeners?(list: readonly ListenerHealth[]): void;
}
type MetricsOptions = { idleTimeoutS?: StatedTimeout; maxPaths?: number; hostCounters?: boolean };
type StartMetrics = (model: LiveModel, listen: string, opts: MetricsOptions) => Promise<MetricsHandle>;

async function startMetrics(model: LiveModel, listen: string, opts: MetricsOptions): Promise<MetricsHandle> {
  let mod: { startMetricsServer?: unknown };
  try {
    mod = (await import(METRICS_MODULE)) as { startMetricsServer?: unknown };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('metrics-server')) {
      throw new UserError('--metrics is not available in this build');
    }
    throw err;
  }
  if (typeof mod.startMetricsServer !== 'function') throw new UserError('--metrics is not available in this build');
  return (mod.startMetricsServer as StartMetrics)(model, listen, opts);
}

/** The stats line's `sockets` object: what the last socket-table refresh read, and how the refreshes are keeping up. */
export interface SocketSummary {
  source: SocketRead['source'];
  count: number;
  atRisk: number;
  /** Read + judge of the last refresh, ms. */
  refreshMs: number;
  /** Refreshes that came due while one was in flight. */
  skipped: number;
  /** Least time between refreshes now: --refresh, or a few times the last refresh on a big table. */
  intervalMs: number;
  fallbackReason: string | null;
  /** Listening sockets read, and how many are at risk (their accept queue near or at its backlog). */
  listeners?: { count: number; atRisk: number; source: ListenerRead['source'] };
}

export class WatchOutput {
  private readonly out: LineWriter;
  private readonly atRisk = new Set<string>();
  private readonly clock: CaptureClock;
  private lastSockets: readonly SocketInfo[] = [];
  private lastStatsAt = Date.now();
  private lastStatsPackets = 0;
  silentDrops = 0;
  /** kad-sockopt could not read options (no root, no helper): said once on stderr, not per socket. */
  private saidOptionsUnreadable = false;
  socketSummary: SocketSummary | null = null;
  /** This namespace's kernel TCP counters (not for a recorded capture: they are this host's, now). */
  counters: CounterDeltas | null = null;
  private readonly listenerAlerts = new ListenerAlerts();

  constructor(
    private readonly model: LiveModel,
    private readonly idleTimeoutS?: StatedTimeout,
    fd = 1,
  ) {
    this.out = new LineWriter(fd);
    this.clock = new CaptureClock(model.feed);
  }

  /** Every snapshot, before anything is judged against it. */
  observe(snap: LiveSnapshot): void {
    this.clock.observe(snap.newestPacketS, snap.at);
  }

  end(): void {
    this.clock.end();
  }

  /**
   * Every line's ts is on the capture clock, as a reset's is (its RST's
   * time): a file read is stamped with its capture's times, not today's.
   * Before the first packet there is only the wall clock.
   */
  private nowText(): string {
    const s = this.clock.now();
    if (s === null) return wallText();
    // A float epoch holds microseconds, not nanoseconds: round there so the digits below are zeros, not noise.
    const us = Math.round(s * 1e6);
    return epochText(Math.floor(us / 1e6), (us % 1e6) * 1000);
  }

  metrics(url: string): void {
    this.write({ type: 'metrics', ts: this.nowText(), url });
    this.out.flush();
  }

  private write(obj: Record<string, unknown>): void {
    this.out.line(JSON.stringify(obj));
  }

  /** Client and server of a connection, from the tracker itself (the verdict comes before its snapshot). */
  private endpoints(conn: number): { client: string; server: string } | Record<string, never> {
    const t = this.model.pipeline.tracker;
    const s = t.store;
    const c = s.indexOfId(conn);
    if (c < 0) return {};
    // The two ends only, as a connection's report would write them: building the whole report per line was most of the line's cost.
    return {
      client: endpointText({ addr: s.address(c, 0), port: s.port(c, 0) }),
      server: endpointText({ addr: s.address(c, 1), port: s.port(c, 1) }),
    };
  }

  reset(v: ResetVerdict): void {
    this.write({ type: 'reset', ...v, ...this.endpoints(v.conn) });
  }

  setup(v: SetupVerdict): void {
    this.write({ type: 'setup', ts: this.nowText(), ...v, ...this.endpoints(v.conn) });
  }

  silentDrop(d: SilentDropVerdict): void {
    this.silentDrops++;
    // Verdicts come before their snapshot: the clock must have seen the packets that decided this one.
    const t = this.model.pipeline.tracker;
    if (t.connectionCount > 0) {
      const [sec, ns] = t.absolute(t.timeSpan().lastNs);
      this.clock.observe(sec + ns / 1e9);
    }
    this.write({ type: 'silent-drop', ts: this.nowText(), ...d, ...this.endpoints(d.conn) });
  }

  /**
   * One line per socket that was not at risk at the previous read and is
   * now. Owners are looked up for those sockets only: resolving them for
   * the whole table is what made `ss -p` take half a minute.
   */
  sockets(sockets: SocketInfo[], snap: LiveSnapshot | null): number {
    const risks = annotateSockets(sockets, snap, { idleTimeoutS: this.idleTimeoutS });
    this.lastSockets = sockets;
    const now = new Set<string>();
    const fresh: { s: SocketInfo; silence: AtRisk['silence']; kind: AtRisk['risk']['kind'] }[] = [];
    for (const r of risks) {
      for (const s of r.sockets) {
        if (!s.atRisk) continue;
        const key = socketKey(s);
        now.add(key);
        if (!this.atRisk.has(key)) fresh.push({ s, silence: r.silence, kind: r.risk.kind });
      }
    }
    fillOwners(fresh.map((f) => f.s));
    const unreadable = fillKeepaliveOptions(fresh.map((f) => f.s));
    if (unreadable !== null && !this.saidOptionsUnreadable) {
      this.saidOptionsUnreadable = true;
      process.stderr.write(`kad: at-risk sockets are reported without their exact keepalive options: ${unreadable}\n`);
    }
    for (const { s, silence, kind } of fresh) {
      const t = silence.timeout;
      this.write({
        type: 'at-risk',
        ts: this.nowText(),
        local: endpointText(s.local),
        peer: endpointText(s.peer),
        state: s.state,
        conn: s.conn,
        side: s.side,
        idleS: s.idleMs === null ? null : s.idleMs / 1000,
        idleFrom: s.idleFrom,
        risk: kind,
        timeoutState: timeoutState(t),
        timeoutS: t?.timeoutS ?? null,
        timeoutLowS: t?.lowS ?? null,
        timeoutHighS: t?.highS ?? null,
        timeoutSource: t?.source ?? null,
        timeoutFrom: t?.from ?? null,
        path: t?.path ?? null,
        keepalive: s.keepaliveTimer.state === 'on' ? { nextProbeS: s.keepaliveTimer.nextProbeS } : 'off',
        keepaliveOptions: s.keepaliveOptions ?? null,
        keepaliveVsPath: s.keepaliveOptions ? keepaliveAgainstPath(s.keepaliveOptions, t) : null,
        probesOut: s.probesOut,
        pid: s.pid,
        process: s.process,
        cookie: s.cookie,
        recvQ: s.recvQ,
        sendQ: s.sendQ,
        reason: s.riskReason,
      });
    }
    this.atRisk.clear();
    for (const k of now) this.atRisk.add(k);
    return now.size;
  }

  stats(snap: LiveSnapshot, final: boolean): void {
    const dt = Math.max(1, snap.at - this.lastStatsAt);
    this.write({
      type: 'stats',
      ts: this.nowText(),
      source: snap.source,
      packets: snap.packets,
      tcpPackets: snap.tcpPackets,
      packetsPerSec: Math.round(((snap.packets - this.lastStatsPackets) * 1000 * 10) / dt) / 10,
      captureGaps: snap.captureGaps,
      sourceDrops: snap.sourceDrops,
      sourceMissedAtMost: snap.sourceMissedAtMost,
      connections: snap.heldConnections,
      openConnections: snap.openConnections,
      evicted: snap.evicted,
      refreshMs: Math.round(snap.refreshMs * 10) / 10,
      atRisk: this.atRiskCount(snap),
      timeouts: this.timeoutStates(snap),
      resetsBy: snap.resetsBy,
      silentDrops: this.silentDrops,
      ...(this.socketSummary ? { sockets: this.socketSummary } : {}),
      // Since the previous stats line, only those that moved: a quiet host's line stays short.
      ...(this.counters ? { counters: nonZero(this.counters.take()) } : {}),
      ...(final ? { final: true } : {}),
    });
    this.lastStatsAt = snap.at;
    this.lastStatsPackets = snap.packets;
  }

  /**
   * One line per listener that was not at risk at the previous read and is
   * now (its accept queue at LISTENER_AT_RISK_FRACTION of its backlog), or
   * whose backlog was capped by somaxconn, said once. Returns how many are at risk.
   */
  listeners(health: readonly ListenerHealth[]): number {
    for (const h of this.listenerAlerts.fresh(health)) {
      this.write({
        type: 'listener',
        ts: this.nowText(),
        local: h.listener,
        queue: h.queue,
        backlog: h.backlog,
        synRecv: h.synRecv,
        atRisk: h.atRisk,
        capped: h.capped,
        verdict: h.verdict,
      });
    }
    return health.filter((h) => h.atRisk).length;
  }

  /** Connections at risk as of the snapshot, with the latest socket facts: the gauge's number. */
  atRiskCount(snap: LiveSnapshot): number {
    const nowS = this.clock.now(snap.at);
    return nowS === null ? 0 : connectionsAtRisk(snap.openReports, this.lastSockets, riskContext(snap, nowS, this.idleTimeoutS)).length;
  }

  /** Open connections by the state of their path's timeout estimate (unknown, bracketed, given). */
  timeoutStates(snap: LiveSnapshot): Record<'unknown' | 'bracketed' | 'given', number> {
    return openByTimeoutState(snap.openReports, riskContext(snap, this.clock.now(snap.at) ?? 0, this.idleTimeoutS));
  }

  /** One kernel line (--kernel); `cap` is null without a capture (--no-capture). */
  kernel(ev: LoggedKernelEvent, cap: CaptureMatch | null, noCapture: boolean): void {
    const s = ev.socket;
    const note = ev.netns === 'this' ? kernelNote(ev, noCapture ? null : (cap ?? { conn: null, rstFrame: null })) : null;
    const sec = Math.floor(ev.wallS);
    const line: Record<string, unknown> = {
      type: 'kernel',
      event: ev.kind,
      ts: epochText(sec, Math.round((ev.wallS - sec) * 1e6) * 1000),
      local: endpointText(ev.local),
      remote: endpointText(ev.remote),
      netns: ev.netns,
      cookie: ev.cookie,
      state: ev.state,
      oldState: ev.oldState,
      reason: ev.reason,
      errno: ev.errno,
      error: ev.errno === null ? null : (ERRNO_NAMES[ev.errno] ?? null),
      pid: s?.pid ?? null,
      process: s?.process ?? null,
      keepalive: s ? (s.keepaliveTimer.state === 'on' ? { nextProbeS: s.keepaliveTimer.nextProbeS } : 'off') : null,
      probesOut: s?.probesOut ?? null,
      conn: cap?.conn ?? null,
      rstFrame: cap?.rstFrame ?? null,
      ...note,
    };
    // Fields present when known.
    for (const k of Object.keys(line)) if (line[k] === null) delete line[k];
    this.write(line);
  }

  flush(): void {
    this.out.flush();
  }
}

/** The server end of a kernel event's socket, the metrics' path: the socket table's side when joined, else the lower port. */
function serverEnd(ev: LoggedKernelEvent): string {
  const side = ev.socket?.side ?? (ev.local.port <= ev.remote.port ? 'server' : 'client');
  return endpointText(side === 'server' ? ev.local : ev.remote);
}

async function runWatch(flags: WatchFlags): Promise<void> {
  const stated = statedTimeout(flags);
  if (!flags.capture && !flags.kernel)
    throw new UserError('--no-capture needs --kernel (without packets, kernel events are the only source)');
  if (flags.kernel && flags.read !== undefined)
    throw new UserError("--kernel reads this host's kernel now: it cannot go with -r (a recorded capture)");
  // The trace instance first: a refusal (not root, no tracefs) comes before any capture is opened.
  const kernel = flags.kernel ? new KernelSource('kad watch', (l) => process.stderr.write(`${l}\n`)) : null;
  let feed: PacketFeed;
  try {
    feed = flags.capture ? openFeed(flags, 'kad watch') : new NoCaptureFeed();
  } catch (err) {
    kernel?.close();
    throw err;
  }
  const model = new LiveModel(feed, {
    refreshMs: flags.refresh,
    maxMemory: flags.maxMemory,
    cross: kernel && flags.capture ? (a) => kernel.cross(a) : undefined,
    verdictHoldMs: kernel ? KERNEL_VERDICT_HOLD_MS : 0,
  });
  const out = new WatchOutput(model, stated);
  const proc = createProcSource(defaultRoots());
  if (flags.read === undefined) out.counters = new CounterDeltas(proc);
  let failure: Error | null = null;
  const gate = new RefreshGate(flags.refresh);
  let toldSource = false;
  let lastStats = Date.now();
  model.on('reset', (v) => out.reset(v));
  model.on('silentDrop', (d) => out.silentDrop(d));
  model.on('setup', (v) => out.setup(v));
  model.on('error', (err) => (failure = err));
  model.on('end', () => out.end());
  const emitKernel = (final: boolean): void => {
    if (!kernel) return;
    for (const { ev, match } of kernel.due(undefined, final)) {
      out.kernel(ev, match, !flags.capture);
      if (ev.kind === 'error' && ev.netns === 'this' && (ev.errno === 104 || ev.errno === 110))
        metrics?.kernelError?.(serverEnd(ev), ev.errno === 104 ? 'ECONNRESET' : 'ETIMEDOUT');
    }
  };
  model.on('snapshot', (snap) => {
    out.observe(snap);
    emitKernel(false);
    if (flags.sockets || kernel) {
      // One read at a time, and fewer as the table grows: a slow read must not pile up behind a short --refresh.
      gate.run(
        async (signal) => {
          const t0 = performance.now();
          const r = await readSockets({ signal });
          if (!toldSource && r.fallbackReason !== null) process.stderr.write(`kad: socket table from ${r.source}: ${r.fallbackReason}\n`);
          toldSource = true;
          kernel?.sockets(r.sockets);
          const atRisk = flags.sockets ? out.sockets(r.sockets, model.latest ?? snap) : 0;
          metrics?.sockets?.(r.sockets);
          let listeners: SocketSummary['listeners'];
          if (flags.sockets) {
            const { health, source } = await readListenerHealth(proc);
            listeners = { count: health.length, atRisk: out.listeners(health), source };
            metrics?.listeners?.(health);
          }
          if (flags.sockets)
            out.socketSummary = {
              source: r.source,
              count: r.sockets.length,
              atRisk,
              refreshMs: Math.round(performance.now() - t0),
              skipped: gate.skipped,
              intervalMs: 0,
              fallbackReason: r.fallbackReason,
              listeners,
            };
          out.flush();
        },
        (err) => process.stderr.write(`kad: socket table: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      if (out.socketSummary) {
        out.socketSummary.skipped = gate.skipped;
        out.socketSummary.intervalMs = Math.round(gate.intervalMs);
      }
    }
    if (flags.statsInterval > 0 && snap.at - lastStats >= flags.statsInterval) {
      lastStats = snap.at;
      out.stats(snap, false);
    }
    out.flush();
  });

  const metrics =
    flags.metrics !== undefined
      ? await startMetrics(model, flags.metrics, {
          idleTimeoutS: stated,
          maxPaths: flags.metricsMaxPaths,
          hostCounters: flags.read === undefined,
        }).catch((err: unknown) => {
          feed.stop();
          throw err;
        })
      : null;
  if (typeof metrics?.url === 'string') out.metrics(metrics.url);

  const stop = (): void => {
    // Kill an in-flight reader now, not after the feed has wound down.
    void gate.stop();
    model.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await model.run();
    await gate.stop();
    emitKernel(true);
    if (model.latest) out.stats(model.latest, true);
    out.flush();
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    kernel?.close();
    await metrics?.close();
  }
  if (failure) throw failure;
}

/** `kad live` and `kad watch` share their source options; main.ts registers both through this. */
export function registerLiveCommands(program: Command): void {
  registerLive(program);
  registerWatch(program);
}

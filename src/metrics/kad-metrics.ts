import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { LiveSnapshot } from '../live/live-model.js';
import type { ResetVerdict, SilentDropVerdict } from '../model/analysis-report.js';
import { VERSION } from '../version.js';
import { AT_RISK_FRACTION, CaptureClock, connectionsAtRisk, riskContext } from '../sockets/at-risk.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import type { StatedTimeout } from '../sockets/at-risk.js';
import { OTHER_PATH, PathLabels } from './path-labels.js';
import { KERNEL_COUNTERS } from '../sockets/counter-meanings.js';
import { CounterDeltas } from '../sockets/kernel-counters.js';
import type { ProcSource } from '../sockets/proc-source.js';
import { LISTENER_AT_RISK_FRACTION, type ListenerHealth } from '../sockets/listeners.js';

type Totals = { packets: number; tcpPackets: number; captureGaps: number; probesSent: number; probesAnswered: number; evicted: number };

/**
 * The Prometheus view of a LiveModel. Snapshots carry running totals; the
 * counters take their deltas so that they only ever go up, as Prometheus'
 * rate() expects, whatever the model does between scrapes.
 */
export class KadMetrics {
  /** Our own registry: an embedding program's global one stays untouched. */
  readonly registry = new Registry();
  private readonly resets: Counter<'attribution' | 'path'>;
  private readonly silentDrops: Counter<'path'>;
  private readonly appErrors: Counter<'path' | 'errno'>;
  private readonly probesSent: Counter;
  private readonly probesAnswered: Counter;
  private readonly packets: Counter;
  private readonly tcpPackets: Counter;
  private readonly captureGaps: Counter;
  private readonly tracked: Gauge;
  private readonly open: Gauge;
  private readonly atRisk: Gauge;
  private readonly timeoutLower: Gauge<'path'>;
  private readonly timeoutUpper: Gauge<'path'>;
  private readonly sourceDrops: Gauge;
  private readonly missedAtMost: Gauge;
  private readonly lastSnapshot: Gauge;
  private readonly info: Gauge<'version' | 'source'>;

  private readonly evicted: Counter;
  private readonly pathOverflow: Counter;
  private readonly paths: PathLabels;
  private readonly last: Totals = { packets: 0, tcpPackets: 0, captureGaps: 0, probesSent: 0, probesAnswered: 0, evicted: 0 };
  private readonly clock: CaptureClock;
  private readonly idleTimeoutS: StatedTimeout | undefined;
  private sockets: readonly SocketInfo[] = [];
  private latest: LiveSnapshot | null = null;
  /**
   * One counter per kernel counter (kad_tcp_<name>_total), as node_exporter
   * does: their sum means nothing, so they are not one metric with a label,
   * and each keeps its own meaning as HELP. Sixteen fixed series.
   */
  private readonly kernelCounters = new Map<string, Counter>();
  private readonly hostCounters: CounterDeltas | null;
  private readonly listenerQueue: Gauge<'listener'>;
  private readonly listenerBacklog: Gauge<'listener'>;
  private readonly listenersAtRisk: Gauge;
  /** Listeners with their own series: as many as paths, the first ones seen (at-risk ones first). */
  private readonly listenerLabels: PathLabels;

  constructor(
    opts: {
      processMetrics?: boolean;
      clock?: CaptureClock;
      idleTimeoutS?: StatedTimeout;
      maxPaths?: number;
      hostCounters?: ProcSource;
    } = {},
  ) {
    this.clock = opts.clock ?? new CaptureClock();
    this.paths = new PathLabels(opts.maxPaths);
    this.listenerLabels = new PathLabels(opts.maxPaths);
    this.idleTimeoutS = opts.idleTimeoutS;
    const registers = [this.registry];
    this.resets = new Counter({
      name: 'kad_resets_total',
      help: 'TCP resets seen, by who really sent them (middlebox, peer, local-stack, unknown) and the server endpoint of the connection',
      labelNames: ['attribution', 'path'],
      registers,
    });
    this.silentDrops = new Counter({
      name: 'kad_silent_drops_total',
      help: 'Connections whose keepalives or retransmissions went unanswered (black hole or dead peer), by server endpoint',
      labelNames: ['path'],
      registers,
    });
    this.appErrors = new Counter({
      name: 'kad_kernel_app_errors_total',
      help: "Errors this host's TCP stack handed to applications (kad watch --kernel: inet_sk_error_report), ECONNRESET or ETIMEDOUT, by server endpoint",
      labelNames: ['path', 'errno'],
      registers,
    });
    this.probesSent = new Counter({
      name: 'kad_keepalive_probes_sent_total',
      help: 'TCP keepalive probes seen, both directions',
      registers,
    });
    this.probesAnswered = new Counter({
      name: 'kad_keepalive_probes_answered_total',
      help: 'TCP keepalive probes that got their keepalive ACK',
      registers,
    });
    this.packets = new Counter({ name: 'kad_packets_captured_total', help: 'Frames read from the capture source', registers });
    this.tcpPackets = new Counter({ name: 'kad_tcp_packets_total', help: 'Frames decoded as TCP', registers });
    this.captureGaps = new Counter({
      name: 'kad_capture_gaps_total',
      help: 'Sequence holes: segments the capture missed (the source or the kernel dropped them)',
      registers,
    });
    this.tracked = new Gauge({ name: 'kad_connections_tracked', help: 'Connections the tracker holds now', registers });
    this.evicted = new Counter({
      name: 'kad_connections_evicted_total',
      help: 'Connections diagnosed, tallied and then forgotten (ended ones after a grace; the quietest open ones past half of --max-memory)',
      registers,
    });
    this.open = new Gauge({ name: 'kad_connections_open', help: 'Tracked connections not yet ended by FIN or RST', registers });
    this.atRisk = new Gauge({
      name: 'kad_connections_at_risk',
      help:
        "Open connections at risk (src/sockets/at-risk.ts; the same count as kad watch's atRisk and the TUI header): silently dropped or keepalive probes unanswered; " +
        `idle for ${AT_RISK_FRACTION * 100}% of the lower end of their path's idle timeout (given with --idle-timeout, --behind or --timeout-from, or inferred) with no keepalive probe due in time; ` +
        "idle with the socket's next keepalive probe at or after the timeout's upper bound; or, with no timeout known, idle near the shortest common middlebox default (unverified)",
      registers,
      collect: () => this.atRisk.set(this.atRiskNow()),
    });
    this.timeoutLower = new Gauge({
      name: 'kad_idle_timeout_lower_bound_seconds',
      help: 'Inferred path idle timeout T: the longest idle period a connection survived (T is above it)',
      labelNames: ['path'],
      registers,
    });
    this.timeoutUpper = new Gauge({
      name: 'kad_idle_timeout_upper_bound_seconds',
      help: 'Inferred path idle timeout T: the shortest idle period after which a flow was reset by a middlebox or black-holed (T is at most this)',
      labelNames: ['path'],
      registers,
    });
    // Not registered until known: an unknown count is omitted, not exported as NaN or a made-up 0.
    this.sourceDrops = new Gauge({
      name: 'kad_source_drops',
      help: 'Packets the capture source says it dropped (absent when it cannot tell)',
      registers: [],
    });
    this.missedAtMost = new Gauge({
      name: 'kad_source_missed_packets_upper_bound',
      help: 'At most this many packets on the captured link were not delivered by the capture source (link counters less packets captured; also counts packets the filter leaves out); absent when unknown',
      registers: [],
    });
    this.lastSnapshot = new Gauge({
      name: 'kad_last_snapshot_timestamp_seconds',
      help: 'Wall-clock time of the last analysis snapshot',
      registers,
    });
    this.info = new Gauge({
      name: 'kad_info',
      help: 'keepalive-doctor version and capture source',
      labelNames: ['version', 'source'],
      registers,
    });
    this.pathOverflow = new Counter({
      name: 'kad_metrics_paths_overflow_total',
      help: 'Resets and silent drops counted under path="other" because --metrics-max-paths paths already have their own label',
      registers,
    });
    // Set once, before any snapshot: a scrape of a kad that has not yet seen a packet still says what is running.
    new Gauge({
      name: 'kad_build_info',
      help: 'Always 1: the keepalive-doctor version, the Node.js it runs on, and the --metrics-max-paths cap',
      labelNames: ['version', 'nodejs', 'max_paths'],
      registers,
    }).set({ version: VERSION, nodejs: process.versions.node, max_paths: String(this.paths.max) }, 1);
    this.hostCounters = opts.hostCounters ? new CounterDeltas(opts.hostCounters) : null;
    if (this.hostCounters)
      for (const c of KERNEL_COUNTERS)
        this.kernelCounters.set(
          c.name,
          new Counter({
            name: `kad_tcp_${c.metric}_total`,
            help: `${c.group} ${c.name} (this network namespace, since kad started): ${c.meaning}`,
            registers,
          }),
        );
    this.listenerQueue = new Gauge({
      name: 'kad_listener_accept_queue',
      help: 'Connections waiting for accept() on a listening socket (kad watch --sockets; the first --metrics-max-paths listeners)',
      labelNames: ['listener'],
      registers,
    });
    this.listenerBacklog = new Gauge({
      name: 'kad_listener_backlog',
      help: "A listening socket's accept queue limit: min(the application's listen() backlog, net.core.somaxconn)",
      labelNames: ['listener'],
      registers,
    });
    this.listenersAtRisk = new Gauge({
      name: 'kad_listeners_at_risk',
      help: `Listening sockets whose accept queue holds ${LISTENER_AT_RISK_FRACTION * 100}% of their backlog or more (src/sockets/listeners.ts): completed handshakes are or will soon be dropped`,
      registers,
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  onReset(v: ResetVerdict, path: string): void {
    this.resets.inc({ attribution: v.attribution, path: this.pathLabel(path) });
  }

  /** An application got ECONNRESET or ETIMEDOUT on a connection to `path` (the errno label holds only those two names). */
  onKernelError(path: string, errno: 'ECONNRESET' | 'ETIMEDOUT'): void {
    this.appErrors.inc({ path: this.pathLabel(path), errno });
  }

  onSilentDrop(_v: SilentDropVerdict, path: string): void {
    this.silentDrops.inc({ path: this.pathLabel(path) });
  }

  /** The latest annotated socket table (kad watch --sockets); their facts count from the next snapshot on. */
  onSockets(sockets: readonly SocketInfo[]): void {
    this.sockets = sockets;
  }

  /** Every listener's health at the last socket-table read (kad watch --sockets). */
  onListeners(list: readonly ListenerHealth[]): void {
    this.listenerQueue.reset();
    this.listenerBacklog.reset();
    // At-risk ones first, so that a cap full of quiet listeners never hides one that overflows.
    const ordered = [...list].sort((a, b) => Number(b.atRisk) - Number(a.atRisk));
    for (const h of ordered) {
      if (!this.listenerLabels.admit(h.listener)) continue;
      this.listenerQueue.set({ listener: h.listener }, h.queue);
      if (h.backlog !== null) this.listenerBacklog.set({ listener: h.listener }, h.backlog);
    }
    this.listenersAtRisk.set(list.filter((h) => h.atRisk).length);
  }

  /** The source has ended: its clock stops at the last packet. */
  onEnd(): void {
    this.clock.end();
  }

  onSnapshot(snap: LiveSnapshot): void {
    this.info.reset();
    this.info.set({ version: VERSION, source: snap.source }, 1);
    this.countUp(this.packets, 'packets', snap.packets);
    this.countUp(this.tcpPackets, 'tcpPackets', snap.tcpPackets);
    this.countUp(this.captureGaps, 'captureGaps', snap.captureGaps);
    // Totals over every connection, evicted ones too: a per-connection memory of what was counted would grow forever.
    this.countUp(this.probesSent, 'probesSent', snap.keepalives.sent);
    this.countUp(this.probesAnswered, 'probesAnswered', snap.keepalives.answered);
    this.countUp(this.evicted, 'evicted', snap.evicted);
    this.tracked.set(snap.heldConnections);
    this.open.set(snap.openConnections);
    this.clock.observe(snap.newestPacketS, snap.at);
    // Judged when scraped (see the gauge's collect): a snapshot every second need not judge every connection.
    this.latest = snap;
    // Rebuilt each time so a path whose inference changed shape (e.g. lost its lower bound) shows no stale value.
    this.timeoutLower.reset();
    this.timeoutUpper.reset();
    for (const t of snap.idleTimeouts) {
      if (!this.paths.admit(t.path)) continue;
      if (t.survivedMaxS !== null) this.timeoutLower.set({ path: t.path }, t.survivedMaxS);
      if (t.diedMinS !== null) this.timeoutUpper.set({ path: t.path }, t.diedMinS);
    }
    if (this.hostCounters)
      for (const [name, d] of Object.entries(this.hostCounters.take())) if (d > 0) this.kernelCounters.get(name)?.inc(d);
    this.exportIfKnown(this.sourceDrops, snap.sourceDrops);
    this.exportIfKnown(this.missedAtMost, snap.sourceMissedAtMost);
    this.lastSnapshot.set(snap.at / 1000);
  }

  /** The text exposition, without the blank lines prom-client puts between metric families. */
  async exposition(): Promise<string> {
    return (await this.registry.metrics()).replace(/\n{2,}/g, '\n');
  }

  /** Every metric this can export, those left out while unknown included (what rules and dashboards may query). */
  metricNames(): string[] {
    const optional = [this.sourceDrops, this.missedAtMost].map((g) => (g as unknown as { name: string }).name);
    return [...new Set([...this.registry.getMetricsAsArray().map((m) => m.name), ...optional])];
  }

  /** A gauge whose value may be unknown is in the registry only while it is known. */
  private exportIfKnown(g: Gauge, value: number | null): void {
    const name = (g as unknown as { name: string }).name;
    const registered = this.registry.getSingleMetric(name) !== undefined;
    if (value === null) {
      if (registered) this.registry.removeSingleMetric(name);
      return;
    }
    if (!registered) this.registry.registerMetric(g);
    g.set(value);
  }

  /** The at-risk count of the latest snapshot, judged now with the latest socket table. */
  private atRiskNow(): number {
    const snap = this.latest;
    const now = snap === null ? null : this.clock.now(snap.at);
    return snap === null || now === null
      ? 0
      : connectionsAtRisk(snap.openReports, this.sockets, riskContext(snap, now, this.idleTimeoutS)).length;
  }

  private pathLabel(path: string): string {
    const label = this.paths.label(path);
    if (label === OTHER_PATH) this.pathOverflow.inc();
    return label;
  }

  private countUp(counter: Counter, key: keyof Totals, total: number): void {
    if (total > this.last[key]) counter.inc(total - this.last[key]);
    this.last[key] = total;
  }
}

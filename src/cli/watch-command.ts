import type { Command } from 'commander';
import { LiveModel, type LiveSnapshot } from '../live/live-model.js';
import { LineWriter } from './line-writer.js';
import { milliseconds } from './option-values.js';
import type { ConnectionReport, ResetVerdict, SilentDropVerdict } from '../model/analysis-report.js';
import { connectionReport } from '../report/build-file-report.js';
import { annotateSockets, socketKey } from '../sockets/annotate-sockets.js';
import { endpointText } from '../util/ip-text.js';
import { readSockets } from '../sockets/read-sockets.js';
import { CaptureClock, connectionsAtRisk, riskContext } from '../sockets/at-risk.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { epochText } from '../util/time-text.js';
import { addSourceOptions, openFeed, registerLive, TIMESTAMP_HELP, type SourceFlags } from './live-command.js';
import { UserError } from '../model/errors.js';

interface WatchFlags extends SourceFlags {
  sockets?: boolean;
  refresh: number;
  statsInterval: number;
  metrics?: string;
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
    .addHelpText(
      'after',
      `${TIMESTAMP_HELP}
Output: one JSON object per line, "type" first:
  reset        a new RST verdict (fields of ResetVerdict, src/model/analysis-report.ts; ts = the RST's time) + client, server
  silent-drop  a new silent-drop verdict (SilentDropVerdict) + client, server
  at-risk      a socket newly at risk (--sockets): local, peer, idleS, timeoutS, keepalive, pid, process, reason
  stats        packets, packetsPerSec, captureGaps, connections, atRisk (as kad_connections_at_risk), resetsBy, …;
               the last one has "final": true
  metrics      with --metrics: the URL being served (first line)
Ends on SIGINT/SIGTERM, or when the file/stdin source ends, with exit status 0.

Examples:
  sudo kad watch -i eth0 --sockets --idle-timeout 350
  sudo kad watch -f 'tcp port 443' | jq 'select(.type=="reset" and .attribution=="middlebox")'
  kad watch -r capture.pcapng`,
    )
    .action(async (flags: WatchFlags) => {
      await runWatch(flags);
    });
}

function nowText(): string {
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
}
type StartMetrics = (model: LiveModel, listen: string, opts: { idleTimeoutS?: number }) => Promise<MetricsHandle>;

async function startMetrics(model: LiveModel, listen: string, idleTimeoutS: number | undefined): Promise<MetricsHandle> {
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
  return (mod.startMetricsServer as StartMetrics)(model, listen, { idleTimeoutS });
}

export class WatchOutput {
  private readonly out: LineWriter;
  private readonly atRisk = new Set<string>();
  private readonly clock: CaptureClock;
  private lastSockets: readonly SocketInfo[] = [];
  private lastStatsAt = Date.now();
  private lastStatsPackets = 0;
  silentDrops = 0;
  socketSummary: { source: string; count: number; atRisk: number } | null = null;

  constructor(
    private readonly model: LiveModel,
    private readonly idleTimeoutS?: number,
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

  metrics(url: string): void {
    this.write({ type: 'metrics', ts: nowText(), url });
    this.out.flush();
  }

  private write(obj: Record<string, unknown>): void {
    this.out.line(JSON.stringify(obj));
  }

  /** Client and server of a connection, from the tracker itself (the verdict comes before its snapshot). */
  private endpoints(conn: number): { client: string; server: string } | Record<string, never> {
    const t = this.model.pipeline.tracker;
    const c = t.store.indexOfId(conn);
    if (c < 0) return {};
    const r: ConnectionReport = connectionReport(t, c);
    return { client: endpointText(r.client), server: endpointText(r.server) };
  }

  reset(v: ResetVerdict): void {
    this.write({ type: 'reset', ...v, ...this.endpoints(v.conn) });
  }

  silentDrop(d: SilentDropVerdict): void {
    this.silentDrops++;
    this.write({ type: 'silent-drop', ts: nowText(), ...d, ...this.endpoints(d.conn) });
  }

  /** One line per socket that was not at risk at the previous read and is now. */
  sockets(sockets: SocketInfo[], snap: LiveSnapshot | null, source: string): void {
    const risks = annotateSockets(sockets, snap, { idleTimeoutS: this.idleTimeoutS });
    this.lastSockets = sockets;
    const now = new Set<string>();
    for (const [s, silence] of risks.flatMap((r) => r.sockets.map((x) => [x, r.silence] as const))) {
      if (!s.atRisk) continue;
      const key = socketKey(s);
      now.add(key);
      if (this.atRisk.has(key)) continue;
      const t = silence.timeout;
      this.write({
        type: 'at-risk',
        ts: nowText(),
        local: endpointText(s.local),
        peer: endpointText(s.peer),
        state: s.state,
        conn: s.conn,
        side: s.side,
        idleS: s.idleMs === null ? null : s.idleMs / 1000,
        idleFrom: s.idleFrom,
        timeoutS: t?.timeoutS ?? null,
        timeoutSource: t?.source ?? null,
        path: t?.path ?? null,
        keepalive: s.keepaliveTimer.state === 'on' ? { nextProbeS: s.keepaliveTimer.nextProbeS } : 'off',
        probesOut: s.probesOut,
        pid: s.pid,
        process: s.process,
        recvQ: s.recvQ,
        sendQ: s.sendQ,
        reason: s.riskReason,
      });
    }
    this.atRisk.clear();
    for (const k of now) this.atRisk.add(k);
    this.socketSummary = { source, count: sockets.length, atRisk: now.size };
  }

  stats(snap: LiveSnapshot, final: boolean): void {
    const dt = Math.max(1, snap.at - this.lastStatsAt);
    this.write({
      type: 'stats',
      ts: nowText(),
      source: snap.source,
      packets: snap.packets,
      tcpPackets: snap.tcpPackets,
      packetsPerSec: Math.round(((snap.packets - this.lastStatsPackets) * 1000 * 10) / dt) / 10,
      captureGaps: snap.captureGaps,
      sourceDrops: snap.sourceDrops,
      connections: snap.heldConnections,
      openConnections: snap.openConnections,
      evicted: snap.evicted,
      refreshMs: Math.round(snap.refreshMs * 10) / 10,
      atRisk: this.atRiskCount(snap),
      resetsBy: snap.resetsBy,
      silentDrops: this.silentDrops,
      ...(this.socketSummary ? { sockets: this.socketSummary } : {}),
      ...(final ? { final: true } : {}),
    });
    this.lastStatsAt = snap.at;
    this.lastStatsPackets = snap.packets;
  }

  /** Connections at risk as of the snapshot, with the latest socket facts: the gauge's number. */
  atRiskCount(snap: LiveSnapshot): number {
    const nowS = this.clock.now(snap.at);
    return nowS === null ? 0 : connectionsAtRisk(snap.openReports, this.lastSockets, riskContext(snap, nowS, this.idleTimeoutS)).length;
  }

  flush(): void {
    this.out.flush();
  }
}

async function runWatch(flags: WatchFlags): Promise<void> {
  const feed = openFeed(flags, 'kad watch');
  const model = new LiveModel(feed, { refreshMs: flags.refresh, maxMemory: flags.maxMemory });
  const out = new WatchOutput(model, flags.idleTimeout);
  let failure: Error | null = null;
  let socketRead: Promise<void> | null = null;
  let lastStats = Date.now();
  model.on('reset', (v) => out.reset(v));
  model.on('silentDrop', (d) => out.silentDrop(d));
  model.on('error', (err) => (failure = err));
  model.on('end', () => out.end());
  model.on('snapshot', (snap) => {
    out.observe(snap);
    if (flags.sockets && socketRead === null) {
      // One read at a time: a slow ss must not pile up behind a short --refresh.
      socketRead = readSockets()
        .then((r) => {
          out.sockets(r.sockets, model.latest ?? snap, r.source);
          metrics?.sockets?.(r.sockets);
        })
        .catch((err: unknown) => {
          process.stderr.write(`kad: socket table: ${err instanceof Error ? err.message : String(err)}\n`);
        })
        .finally(() => {
          socketRead = null;
          out.flush();
        });
    }
    if (flags.statsInterval > 0 && snap.at - lastStats >= flags.statsInterval) {
      lastStats = snap.at;
      out.stats(snap, false);
    }
    out.flush();
  });

  const metrics =
    flags.metrics !== undefined
      ? await startMetrics(model, flags.metrics, flags.idleTimeout).catch((err: unknown) => {
          feed.stop();
          throw err;
        })
      : null;
  if (typeof metrics?.url === 'string') out.metrics(metrics.url);

  const stop = (): void => model.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await model.run();
    if (socketRead) await socketRead;
    if (model.latest) out.stats(model.latest, true);
    out.flush();
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await metrics?.close();
  }
  if (failure) throw failure;
}

/** `kad live` and `kad watch` share their source options; main.ts registers both through this. */
export function registerLiveCommands(program: Command): void {
  registerLive(program);
  registerWatch(program);
}

import { EventEmitter } from 'node:events';
import { CapturePipeline, type TrackedPacketHandler } from '../analyze/analyze-capture.js';
import { diagnoseCapture } from '../diagnose/diagnose-capture.js';
import type {
  ConnectionDiagnosis,
  ConnectionReport,
  IdleTimeoutInference,
  ResetVerdict,
  SilentDropVerdict,
} from '../model/analysis-report.js';
import { connectionReport } from '../report/build-file-report.js';
import type { PacketFeed } from './packet-feed.js';

/** What a live view shows at one moment. */
export interface LiveSnapshot {
  source: string;
  /** Wall-clock ms when the snapshot was taken. */
  at: number;
  packets: number;
  tcpPackets: number;
  /** Packets per second over the last refresh interval. */
  packetsPerSec: number;
  /** Sequence holes seen (segments the capture missed), summed over connections. */
  captureGaps: number;
  /** Drops the source itself reports, when it knows. */
  sourceDrops: number | null;
  connections: ConnectionReport[];
  diagnoses: ConnectionDiagnosis[];
  idleTimeouts: IdleTimeoutInference[];
  /** RSTs by attribution so far. */
  resetsBy: Record<string, number>;
}

export interface LiveModelEvents {
  snapshot: [LiveSnapshot];
  /** A RST verdict not seen in an earlier snapshot. */
  reset: [ResetVerdict];
  /** A silent drop not seen in an earlier snapshot. */
  silentDrop: [SilentDropVerdict];
  end: [];
  error: [Error];
}

/**
 * Runs a PacketFeed through the analysis pipeline and re-diagnoses on a
 * timer, emitting snapshots and each new verdict once. Diagnosis is the same
 * code as `kad analyze`, so live and offline verdicts cannot drift apart.
 */
export class LiveModel extends EventEmitter<LiveModelEvents> {
  readonly pipeline: CapturePipeline;
  private timer: NodeJS.Timeout | null = null;
  private lastPackets = 0;
  private lastAt = Date.now();
  private readonly seenResets = new Set<string>();
  private readonly seenDrops = new Set<number>();
  latest: LiveSnapshot | null = null;

  constructor(
    readonly feed: PacketFeed,
    private readonly opts: { refreshMs?: number; onTcpPacket?: TrackedPacketHandler } = {},
  ) {
    super();
    this.pipeline = new CapturePipeline(feed.label, { onTcpPacket: opts.onTcpPacket });
  }

  /** Starts the feed; resolves when it ends (after a final snapshot). */
  async run(): Promise<void> {
    this.timer = setInterval(() => this.refresh(), this.opts.refreshMs ?? 1000);
    try {
      await this.feed.start(this.pipeline.onPacket);
    } catch (err) {
      this.emit('error', err as Error);
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.refresh();
      this.emit('end');
    }
  }

  stop(): void {
    this.feed.stop();
  }

  /** Build a snapshot now (also called by the timer). */
  refresh(): LiveSnapshot {
    const analysis = this.pipeline.analysis();
    const diag = diagnoseCapture(analysis);
    const t = analysis.tracker;
    const connections: ConnectionReport[] = [];
    let gaps = 0;
    for (let c = 0; c < t.connectionCount; c++) {
      const r = connectionReport(t, c);
      gaps += r.captureGaps;
      connections.push(r);
    }
    const resetsBy: Record<string, number> = { middlebox: 0, peer: 0, 'local-stack': 0, unknown: 0 };
    for (const d of diag.diagnoses) {
      for (const r of d.resets) {
        resetsBy[r.attribution] = (resetsBy[r.attribution] ?? 0) + 1;
        const key = `${r.conn}:${r.frame}`;
        if (!this.seenResets.has(key)) {
          this.seenResets.add(key);
          this.emit('reset', r);
        }
      }
      if (d.silentDrop && !this.seenDrops.has(d.conn)) {
        this.seenDrops.add(d.conn);
        this.emit('silentDrop', d.silentDrop);
      }
    }
    const now = Date.now();
    const snap: LiveSnapshot = {
      source: this.feed.label,
      at: now,
      packets: analysis.frames,
      tcpPackets: analysis.tcpPackets,
      packetsPerSec: ((analysis.frames - this.lastPackets) * 1000) / Math.max(1, now - this.lastAt),
      captureGaps: gaps,
      sourceDrops: this.feed.drops?.() ?? null,
      connections,
      diagnoses: diag.diagnoses,
      idleTimeouts: diag.idleTimeouts,
      resetsBy,
    };
    this.lastPackets = analysis.frames;
    this.lastAt = now;
    this.latest = snap;
    this.emit('snapshot', snap);
    return snap;
  }
}

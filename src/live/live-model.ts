import { EventEmitter } from 'node:events';
import { CapturePipeline, type CaptureAnalysis, type TrackedPacketHandler } from '../analyze/analyze-capture.js';
import { diagnoseCapture, type CaptureDiagnosis, type CrossEvidence } from '../diagnose/diagnose-capture.js';
import { ConnectionRetirer } from '../report/connection-retirer.js';
import { ReportCache } from './report-cache.js';
import type {
  ConnectionDiagnosis,
  ConnectionReport,
  IdleTimeoutInference,
  ResetVerdict,
  SetupFailureKind,
  SetupVerdict,
  SilentDropVerdict,
} from '../model/analysis-report.js';
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
  /** Sequence holes seen (segments the capture missed), summed over connections, evicted ones too. */
  captureGaps: number;
  /** Drops the source itself reports, when it knows. */
  sourceDrops: number | null;
  /** At most this many packets on the link were not delivered by the source (PacketFeed.missedAtMost; null: no bound). */
  sourceMissedAtMost: number | null;
  /**
   * The connections held now (ended ones are forgotten a grace after their
   * last packet: FIN_GRACE_NS, ENDED_GRACE_NS). Built when first read, and
   * then only for connections that had packets since the last time: a view
   * that needs only counts never pays for a report per connection.
   */
  readonly connections: ConnectionReport[];
  /** The open ones among them (what at-risk judges), built the same way. */
  readonly openReports: ConnectionReport[];
  /** How many connections are held, and how many of those are open. */
  heldConnections: number;
  openConnections: number;
  /** Epoch seconds of the newest packet of any held connection (-Infinity: none): what a CaptureClock observes. */
  newestPacketS: number;
  /** Decided, not worded, but for the new ones when LiveModelOptions.wordedSnapshots asks. */
  diagnoses: ConnectionDiagnosis[];
  /** Over every connection seen, evicted ones too. */
  idleTimeouts: IdleTimeoutInference[];
  /** RSTs by attribution so far, evicted connections' too. */
  resetsBy: Record<string, number>;
  /** Keepalive probes sent and answered so far, evicted connections' too. */
  keepalives: { sent: number; answered: number };
  /** Connections diagnosed, tallied and forgotten so far. */
  evicted: number;
  /** Wall ms the refresh took to build this snapshot (diagnosis, reports, eviction of the previous one). */
  refreshMs: number;
}

export interface LiveModelEvents {
  snapshot: [LiveSnapshot];
  /** A RST verdict not seen in an earlier snapshot. */
  reset: [ResetVerdict];
  /** A silent drop not seen in an earlier snapshot. */
  silentDrop: [SilentDropVerdict];
  /** A set-up verdict not seen in an earlier snapshot (again if a later one names another kind). */
  setup: [SetupVerdict];
  end: [];
  error: [Error];
}

/**
 * Worded verdicts a TUI model keeps (the newest): a worded reset verdict is
 * a few kB, and a busy capture holds 100 k verdicts. Past this, the oldest
 * show as decided, without words, until a new verdict of theirs.
 */
export const MAX_WORDED = 4096;

/** Report lists are not kept for a live view: only its tallies of evicted connections. */
const LIVE_KEEP = 0;

/**
 * Runs a PacketFeed through the analysis pipeline and re-diagnoses on a
 * timer, emitting snapshots and each new verdict once. Diagnosis is the same
 * code as `kad analyze`, so live and offline verdicts cannot drift apart.
 *
 * Bounded for a source that never ends: after each snapshot, connections
 * that ended a grace of capture time ago (FIN_GRACE_NS, ENDED_GRACE_NS) are tallied and forgotten
 * (and, past half of maxMemory, the quietest open ones), and a refresh
 * rebuilds only the reports of connections that had packets since the last.
 */
export interface LiveModelOptions {
  refreshMs?: number;
  onTcpPacket?: TrackedPacketHandler;
  maxMemory?: number;
  /** Evidence from outside the capture, asked for each refresh (--kernel: the kernel's tracepoints). */
  cross?: (analysis: CaptureAnalysis) => CrossEvidence;
  /**
   * A new reset verdict waits this long after its first refresh before it is
   * emitted, so that outside evidence about it (the kernel's event, read a
   * little after the packet) is in the verdict that is printed once. 0: at once.
   */
  verdictHoldMs?: number;
  /**
   * The snapshot keeps the words of the verdicts new in it (the TUI shows
   * them). Otherwise a new verdict's words go out with its event only and
   * the snapshot holds every verdict as decided: kept words outlive the
   * refresh, and a busy capture's 20 k of them were most of what \`kad watch\`'s
   * garbage collector copied.
   */
  wordedSnapshots?: boolean;
}

export class LiveModel extends EventEmitter<LiveModelEvents> {
  readonly pipeline: CapturePipeline;
  private timer: NodeJS.Timeout | null = null;
  private lastPackets = 0;
  private lastAt = Date.now();
  /** RST frames already emitted, by connection number; forgotten with their connection. */
  private readonly seenResets = new Map<number, Set<number>>();
  private readonly seenDrops = new Set<number>();
  /** The set-up verdict kind last emitted, by connection number. */
  private readonly seenSetups = new Map<number, SetupFailureKind>();
  private readonly reports = new ReportCache();
  private readonly retirer: ConnectionRetirer;
  latest: LiveSnapshot | null = null;
  /** With wordedSnapshots: each held connection's verdict as last worded, by connection number (a refresh words only new ones). */
  private readonly worded = new Map<number, ConnectionDiagnosis>();
  /**
   * The frames the last full refresh diagnosed, and whether eviction has
   * since been tried on that state and forgot nothing: what lets a refresh
   * that would see the same reuse its snapshot (-1: the state changed).
   */
  private diagnosedFrames = -1;
  private evictedNothing = false;
  /** Reset verdicts seen but not yet emitted (verdictHoldMs), by "conn:frame": when first seen (ms). */
  private readonly pendingResets = new Map<string, number>();

  constructor(
    readonly feed: PacketFeed,
    private readonly opts: LiveModelOptions = {},
  ) {
    super();
    this.pipeline = new CapturePipeline(feed.label, { onTcpPacket: opts.onTcpPacket, arrivalTimestamps: feed.arrivalTimestamps });
    this.retirer = new ConnectionRetirer({}, LIVE_KEEP, opts.maxMemory);
  }

  /** Starts the feed; resolves when it ends (after a final snapshot). */
  async run(): Promise<void> {
    this.timer = setInterval(() => this.refresh(), this.opts.refreshMs ?? 1000);
    try {
      await this.feed.start(this.pipeline.onPacket, this.pipeline.readOptions());
    } catch (err) {
      this.emit('error', err as Error);
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.refresh(false);
      this.emit('end');
    }
  }

  stop(): void {
    this.feed.stop();
  }

  /** Connections evicted so far (their verdicts were emitted before they went). */
  get evicted(): number {
    return this.retirer.tally.evicted;
  }

  /** Whether a new reset verdict has waited out verdictHoldMs (the last refresh, `evict` false, waits for nothing). */
  private heldLongEnough(r: ResetVerdict, evict: boolean): boolean {
    const hold = this.opts.verdictHoldMs ?? 0;
    const key = `${r.conn}:${r.frame}`;
    if (hold <= 0 || !evict) {
      this.pendingResets.delete(key);
      return true;
    }
    const now = Date.now();
    const first = this.pendingResets.get(key);
    if (first === undefined) {
      this.pendingResets.set(key, now);
      return false;
    }
    if (now - first < hold) return false;
    this.pendingResets.delete(key);
    return true;
  }

  /** Build a snapshot now (also called by the timer); then, unless told not to, evict what has ended. */
  refresh(evict = true): LiveSnapshot {
    const started = performance.now();
    const analysis = this.pipeline.analysis();
    // Once per refresh: a live source's bound reads the interface's counters.
    const drops = this.feed.drops?.() ?? null;
    const missed = this.feed.missedAtMost?.() ?? null;
    const last = this.latest;
    if (last !== null && this.unchanged(analysis.frames, drops, missed, evict, last)) return this.again(last, started);
    const sourceLoss = drops !== null ? { packets: drops, exact: true } : missed !== null ? { packets: missed, exact: false } : null;
    const diag = diagnoseCapture(analysis, this.opts.cross?.(analysis), { explain: false, sourceLoss });
    const t = analysis.tracker;
    const store = t.store;
    const held = t.connectionCount;
    const retired = this.retirer.tally;
    let gaps = retired.captureGaps;
    let sent = retired.keepalivesSent;
    let answered = retired.keepalivesAnswered;
    let open = 0;
    for (let c = 0; c < held; c++) {
      gaps += store.captureGaps(c);
      sent += store.keepalives(c, 0) + store.keepalives(c, 1);
      answered += store.keepaliveAcks(c, 0) + store.keepaliveAcks(c, 1);
      if (store.endKind(c) === 'open') open++;
    }
    let newestPacketS = Number.NEGATIVE_INFINITY;
    if (held > 0) {
      const [sec, ns] = t.absolute(t.timeSpan().lastNs);
      newestPacketS = sec + ns / 1e9;
    }
    const reports = this.reports;
    let connections: ConnectionReport[] | null = null;
    let openReports: ConnectionReport[] | null = null;
    const resetsBy: Record<string, number> = { middlebox: 0, peer: 0, 'local-stack': 0, unknown: 0 };
    for (const [k, n] of Object.entries(retired.resetsBy)) resetsBy[k] = (resetsBy[k] ?? 0) + n;
    const diagnoses: ConnectionDiagnosis[] = [];
    for (const quiet of diag.diagnoses) {
      // Verdicts are decided without words; only new ones, and those of connections shown, get them.
      let d = quiet;
      const seen = this.seenResets.get(d.conn);
      const fresh =
        d.resets.some((r) => !seen?.has(r.frame)) ||
        (d.silentDrop !== null && !this.seenDrops.has(d.conn)) ||
        (d.setup !== null && this.seenSetups.get(d.conn) !== d.setup.kind);
      if (fresh) d = diag.explainConnection(d.conn) ?? d;
      if (this.opts.wordedSnapshots === true) {
        if (fresh) {
          this.worded.delete(d.conn);
          this.worded.set(d.conn, d);
          if (this.worded.size > MAX_WORDED) this.worded.delete(this.worded.keys().next().value!);
        }
        diagnoses.push(fresh ? d : (this.worded.get(d.conn) ?? d));
      } else diagnoses.push(quiet);
      for (const r of d.resets) {
        resetsBy[r.attribution] = (resetsBy[r.attribution] ?? 0) + 1;
        let frames = this.seenResets.get(r.conn);
        if (frames === undefined) this.seenResets.set(r.conn, (frames = new Set()));
        if (!frames.has(r.frame) && this.heldLongEnough(r, evict)) {
          frames.add(r.frame);
          this.emit('reset', r);
        }
      }
      if (d.silentDrop && !this.seenDrops.has(d.conn)) {
        this.seenDrops.add(d.conn);
        this.emit('silentDrop', d.silentDrop);
      }
      if (d.setup && this.seenSetups.get(d.conn) !== d.setup.kind) {
        this.seenSetups.set(d.conn, d.setup.kind);
        this.emit('setup', d.setup);
      }
    }
    const idleTimeouts = retired.evicted > 0 ? retired.idleTimeoutsWith(diag.pathTallies()) : diag.idleTimeouts;
    const now = Date.now();
    const snap: LiveSnapshot = {
      source: this.feed.label,
      at: now,
      packets: analysis.frames,
      tcpPackets: analysis.tcpPackets,
      packetsPerSec: this.rateSince(analysis.frames, now),
      captureGaps: gaps,
      sourceDrops: drops,
      sourceMissedAtMost: missed,
      get connections(): ConnectionReport[] {
        return (connections ??= reports.refresh(t, 'all'));
      },
      get openReports(): ConnectionReport[] {
        return (openReports ??= connections?.filter((c) => c.ended.kind === 'open') ?? reports.refresh(t, 'open'));
      },
      heldConnections: held,
      openConnections: open,
      newestPacketS,
      diagnoses,
      idleTimeouts,
      resetsBy,
      keepalives: { sent, answered },
      evicted: retired.evicted,
      refreshMs: performance.now() - started,
    };
    this.diagnosedFrames = analysis.frames;
    this.evictedNothing = false;
    this.publish(snap);
    if (evict) {
      if (this.evict(analysis, diag)) this.diagnosedFrames = -1;
      else this.evictedNothing = true;
    }
    return snap;
  }

  /**
   * Whether a refresh now would diagnose what the last one did: no frame
   * since, the same loss, no outside evidence that may have come meanwhile,
   * no verdict waiting out its hold, and (when it is to evict) eviction
   * already tried on this state in vain. Verdicts, tallies and eviction all
   * follow from the frames and capture time, and capture time moves only
   * with them: a live view of an idle link, or the last refresh of a file
   * read (the timer's came after its last frame), costs nothing per tick.
   */
  private unchanged(frames: number, drops: number | null, missed: number | null, evict: boolean, last: LiveSnapshot): boolean {
    return (
      frames === this.diagnosedFrames &&
      drops === last.sourceDrops &&
      missed === last.sourceMissedAtMost &&
      this.opts.cross === undefined &&
      this.pendingResets.size === 0 &&
      (!evict || this.evictedNothing)
    );
  }

  /** The last snapshot again, stamped now: nothing it was built from has changed. */
  private again(last: LiveSnapshot, started: number): LiveSnapshot {
    const now = Date.now();
    const snap: LiveSnapshot = {
      source: last.source,
      at: now,
      packets: last.packets,
      tcpPackets: last.tcpPackets,
      packetsPerSec: this.rateSince(last.packets, now),
      captureGaps: last.captureGaps,
      sourceDrops: last.sourceDrops,
      sourceMissedAtMost: last.sourceMissedAtMost,
      // Built only if read, as before: the tracker they come from is as it was.
      get connections(): ConnectionReport[] {
        return last.connections;
      },
      get openReports(): ConnectionReport[] {
        return last.openReports;
      },
      heldConnections: last.heldConnections,
      openConnections: last.openConnections,
      newestPacketS: last.newestPacketS,
      diagnoses: last.diagnoses,
      idleTimeouts: last.idleTimeouts,
      resetsBy: last.resetsBy,
      keepalives: last.keepalives,
      evicted: last.evicted,
      refreshMs: performance.now() - started,
    };
    this.publish(snap);
    return snap;
  }

  /** Frames a second since the last snapshot. */
  private rateSince(frames: number, now: number): number {
    return ((frames - this.lastPackets) * 1000) / Math.max(1, now - this.lastAt);
  }

  /** Makes `snap` the latest, the one the next rate is measured from, and hands it to the readers. */
  private publish(snap: LiveSnapshot): void {
    this.lastPackets = snap.packets;
    this.lastAt = snap.at;
    this.latest = snap;
    this.emit('snapshot', snap);
  }

  /** After the snapshot's readers have had it (the TUI reads the event log up to here): forget what has ended; whether any was. */
  private evict(analysis: CaptureAnalysis, diag: CaptureDiagnosis): boolean {
    const t = analysis.tracker;
    const pressed = t.heldBytes() >= this.retirer.pressureBytes;
    const store = t.store;
    const before = t.connectionCount;
    const ids = new Float64Array(before);
    for (let c = 0; c < before; c++) ids[c] = store.id(c);
    const remap = this.retirer.retire(analysis, pressed ? this.retirer.targetBytes : Infinity, diag);
    if (remap === null) return false;
    this.reports.remap(remap);
    for (let c = 0; c < before; c++) {
      if (remap[c]! >= 0) continue;
      this.seenResets.delete(ids[c]!);
      this.seenDrops.delete(ids[c]!);
      this.seenSetups.delete(ids[c]!);
      this.worded.delete(ids[c]!);
    }
    return true;
  }
}

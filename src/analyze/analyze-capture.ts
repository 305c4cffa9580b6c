import { CaptureError } from '../capture/capture-error.js';
import type { CaptureSummary, PacketRecord } from '../capture/packet-record.js';
import { readCapture, type ReadCaptureOptions } from '../capture/read-capture.js';
import { DECODED_TCP } from '../decode/decode-status.js';
import type { DecodedTcp } from '../decode/decoded-tcp.js';
import type { EventLineSpec } from '../track/event-line-out.js';
import { TcpTracker, type TrackerOptions } from '../track/tcp-tracker.js';
import { FrameCounter } from './frame-counter.js';
import { TrackerBlockRun } from './tracker-block-run.js';
import { TrackerRecordRun } from './tracker-record-run.js';

/** Called for every TCP packet after tracking (used by --events and live views). */
export type TrackedPacketHandler = (tracker: TcpTracker, pkt: DecodedTcp, rec: PacketRecord, kind: number) => void;

/**
 * Bounds what a pipeline holds: called between runs of packets, it may
 * diagnose and tally connections and then have the tracker forget them
 * (report/connection-retirer.ts; this layer only knows when to ask).
 */
export interface Evictor {
  afterRun(pipeline: CapturePipeline): void;
}

/** Frames tracked between two calls to the evictor, one at a time or in walks (evict-check-walk.ts). */
const EVICT_CHECK_PACKETS = 4096;

export interface AnalyzeOptions extends TrackerOptions {
  /** Name used in messages (defaults to the path; "-" is shown as "stdin"). */
  displayName?: string;
  onTcpPacket?: TrackedPacketHandler;
  /**
   * The --events lines, written in WebAssembly (classic pcap keeps the walk,
   * no JavaScript per packet); onTcpPacket is then not called. Written out
   * by the end of analyzeCapture (or finishLines()).
   */
  eventLines?: EventLineSpec;
  /** Only the packets this keeps get an --events line (a connection filter); every frame is then tracked alone. */
  keepEventLine?: (tracker: TcpTracker, pkt: DecodedTcp) => boolean;
  evictor?: Evictor;
  /** The source stamps packets when they reach kad, not in the kernel (cap): timing evidence is weak. */
  arrivalTimestamps?: boolean;
}

/** Everything one pass over a capture learned, before it becomes a report. */
export interface CaptureAnalysis {
  file: string;
  summary: CaptureSummary | null;
  tracker: TcpTracker;
  frames: number;
  tcpPackets: number;
  /** Frames per decode status (index = DECODED_TCP, UNKNOWN_LINK, …). */
  statusCounts: Float64Array;
  /** Link types that were not understood, with how many frames each. */
  unknownLinkTypes: Map<number, number>;
  /** Set when the capture could not be read to the end; what came before is analysed. */
  error: CaptureError | null;
  /** The packets were stamped on arrival at kad rather than by the kernel (a live capture through cap). */
  arrivalTimestamps: boolean;
  /** Latest timestamp of any frame (TCP or not): how long the capture is known to have been running. */
  lastFrameSec: number;
  lastFrameNsec: number;
}

/**
 * decode → track for packets from any source (file reader, live capture):
 * feed records to `onPacket`, take `analysis()` whenever a view is needed.
 */
export class CapturePipeline {
  readonly tracker: TcpTracker;
  readonly frameCounts = new FrameCounter();
  private readonly onTcp: TrackedPacketHandler | undefined;
  readonly evictor: Evictor | undefined;
  private readonly arrivalTimestamps: boolean;
  /** The tracker writes the --events lines, walked or not (see AnalyzeOptions.eventLines); onTcp is not called. */
  private readonly trackerWritesLines: boolean;
  private readonly keepLine: ((tracker: TcpTracker, pkt: DecodedTcp) => boolean) | undefined;
  private sinceEvictCheck = 0;

  constructor(
    readonly file: string,
    opts: AnalyzeOptions = {},
  ) {
    this.tracker = new TcpTracker(opts);
    this.onTcp = opts.onTcpPacket;
    this.evictor = opts.evictor;
    this.arrivalTimestamps = opts.arrivalTimestamps ?? false;
    this.trackerWritesLines = opts.eventLines !== undefined;
    if (opts.eventLines !== undefined) this.tracker.writeEventLines(opts.eventLines);
    this.keepLine = opts.keepEventLine;
  }

  /** The per-packet entry point; allocation-free. */
  readonly onPacket = (rec: PacketRecord): void => {
    const kind = this.tracker.trackFrame(rec);
    // A negative result is the decode status of a frame that is not usable TCP.
    this.frameCounts.count(rec, kind < 0 ? -kind : DECODED_TCP);
    if (kind >= 0) {
      if (this.trackerWritesLines) {
        if (this.keepLine === undefined || this.keepLine(this.tracker, this.tracker.packet())) this.tracker.eventLine(rec, kind);
      } else if (this.onTcp !== undefined) this.onTcp(this.tracker, this.tracker.packet(), rec, kind);
    }
    if (this.evictor !== undefined) this.trackedFrames(1);
  };

  /** Frames that may be tracked before the evictor is next asked (Infinity: there is none). */
  framesBeforeEvictCheck(): number {
    return this.evictor === undefined ? Infinity : EVICT_CHECK_PACKETS - this.sinceEvictCheck;
  }

  /** `n` frames were tracked (and counted): asks the evictor every EVICT_CHECK_PACKETS frames. */
  trackedFrames(n: number): void {
    if (this.evictor === undefined) return;
    this.sinceEvictCheck += n;
    if (this.sinceEvictCheck >= EVICT_CHECK_PACKETS) {
      this.sinceEvictCheck = 0;
      this.evictor.afterRun(this);
    }
  }

  /**
   * How a capture reader should feed this pipeline: into a chunk inside the
   * tracker's memory (no copy per frame) and, unless every packet must come
   * through onPacket (an onTcpPacket consumer, unless the tracker writes
   * the lines it would; a line filter), classic pcap records and pcapng
   * packet blocks a run at a time.
   */
  readOptions(): Pick<ReadCaptureOptions, 'chunkBuffer' | 'pcapRecords' | 'pcapngBlocks'> {
    const walk = (this.onTcp === undefined || this.trackerWritesLines) && this.keepLine === undefined;
    return {
      chunkBuffer: this.tracker.chunkBuffer,
      pcapRecords: walk ? new TrackerRecordRun(this) : undefined,
      pcapngBlocks: walk ? new TrackerBlockRun(this) : undefined,
    };
  }

  /** Writes out the --events lines still held in WebAssembly (see AnalyzeOptions.eventLines). */
  finishLines(): void {
    this.tracker.flushEventLines();
  }

  /** The state so far; the tracker is shared, the counters are copies. */
  analysis(summary: CaptureSummary | null = null, error: CaptureError | null = null): CaptureAnalysis {
    const c = this.frameCounts.counts();
    return {
      file: this.file,
      summary,
      tracker: this.tracker,
      frames: c.frames,
      tcpPackets: c.statusCounts[DECODED_TCP]!,
      statusCounts: c.statusCounts,
      unknownLinkTypes: c.unknownLinkTypes,
      error,
      arrivalTimestamps: this.arrivalTimestamps,
      lastFrameSec: c.lastSec,
      lastFrameNsec: c.lastNsec,
    };
  }
}

/** source → decode → track, in one pass and without per-packet allocation. */
export async function analyzeCapture(path: string, opts: AnalyzeOptions = {}): Promise<CaptureAnalysis> {
  const displayName = opts.displayName ?? (path === '-' ? 'stdin' : path);
  const pipeline = new CapturePipeline(displayName, opts);
  let summary: CaptureSummary | null = null;
  let error: CaptureError | null = null;
  try {
    summary = await readCapture(path, pipeline.onPacket, { displayName, ...pipeline.readOptions() });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    error = err;
  } finally {
    pipeline.finishLines();
  }
  return pipeline.analysis(summary, error);
}

import { CaptureError } from '../capture/capture-error.js';
import type { CaptureSummary, PacketRecord } from '../capture/packet-record.js';
import { readCapture } from '../capture/read-capture.js';
import { decodeFrame } from '../decode/decode-frame.js';
import { DECODE_STATUS_COUNT, DECODED_TCP } from '../decode/decode-status.js';
import { DecodedTcp } from '../decode/decoded-tcp.js';
import { TcpTracker, type TrackerOptions } from '../track/tcp-tracker.js';

/** Called for every TCP packet after tracking (used by --events and live views). */
export type TrackedPacketHandler = (tracker: TcpTracker, pkt: DecodedTcp, rec: PacketRecord, kind: number) => void;

export interface AnalyzeOptions extends TrackerOptions {
  /** Name used in messages (defaults to the path; "-" is shown as "stdin"). */
  displayName?: string;
  onTcpPacket?: TrackedPacketHandler;
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
  /** Latest timestamp of any frame (TCP or not): how long the capture is known to have been running. */
  lastFrameSec: number;
  lastFrameNsec: number;
}

/** source → decode → track, in one pass and without per-packet allocation. */
export async function analyzeCapture(path: string, opts: AnalyzeOptions = {}): Promise<CaptureAnalysis> {
  const displayName = opts.displayName ?? (path === '-' ? 'stdin' : path);
  const tracker = new TcpTracker(opts);
  const pkt = new DecodedTcp();
  const statusCounts = new Float64Array(DECODE_STATUS_COUNT);
  const unknownLinkTypes = new Map<number, number>();
  const onTcp = opts.onTcpPacket;
  let frames = 0;
  let summary: CaptureSummary | null = null;
  let error: CaptureError | null = null;

  let lastSec = -Infinity;
  let lastNsec = 0;
  const onPacket = (rec: PacketRecord): void => {
    frames++;
    if (rec.tsSec > lastSec || (rec.tsSec === lastSec && rec.tsNsec > lastNsec)) {
      lastSec = rec.tsSec;
      lastNsec = rec.tsNsec;
    }
    const status = decodeFrame(rec, pkt);
    statusCounts[status]!++;
    if (status === DECODED_TCP) {
      const kind = tracker.track(pkt, rec);
      if (onTcp !== undefined) onTcp(tracker, pkt, rec, kind);
    } else if (status === 1 /* UNKNOWN_LINK */) {
      unknownLinkTypes.set(rec.linkType, (unknownLinkTypes.get(rec.linkType) ?? 0) + 1);
    }
  };

  try {
    summary = await readCapture(path, onPacket, { displayName });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    error = err;
  }
  return {
    file: displayName,
    summary,
    tracker,
    frames,
    tcpPackets: statusCounts[DECODED_TCP]!,
    statusCounts,
    unknownLinkTypes,
    error,
    lastFrameSec: lastSec,
    lastFrameNsec: lastNsec,
  };
}

import type { CaptureAnalysis, CapturePipeline, Evictor } from '../analyze/analyze-capture.js';
import { diagnoseCapture, type CaptureDiagnosis } from '../diagnose/diagnose-capture.js';
import { retireConnections, type ConnectionFilter } from './build-file-report.js';
import { RetiredTally } from './retired-tally.js';

/** Default budget for what the tracker holds (records and events in use): a host with 1 M open connections fits. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;

/**
 * How long a connection that has ended stays after its last packet before it
 * may be forgotten: long enough for the stragglers that still belong to it,
 * counted in capture time so a file and a live source behave alike. After
 * both FINs only a retransmitted FIN or last ACK can come (within a few
 * retransmission timeouts); after a RST, the peer's further RSTs and data
 * (evidence that the real host still talked) come for longer.
 */
export const FIN_GRACE_NS = 2e9;
export const ENDED_GRACE_NS = 10e9;

/** Evicted connections kept in full for --json and --html (problems first): the rest are counted. */
export const MAX_KEPT_IN_FULL = 10_000;

/** Eviction starts when held state reaches this share of the budget, and stops at half of it: each pass frees at least as much as it costs. */
const START_SHARE = 0.5;
const STOP_SHARE = 0.25;

/**
 * Keeps a pipeline's tracker within a memory budget. When what it holds
 * passes half the budget, the connections that have ended (and been quiet
 * for ENDED_GRACE_NS) are diagnosed, tallied into `tally` and forgotten; if
 * that is not enough, so are the quietest open ones, until a quarter of the
 * budget is held (the grace is FIN_GRACE_NS after both FINs). The report then counts every connection (see
 * retireConnections): only the full detail of connections nobody will
 * print is gone.
 */
export class ConnectionRetirer implements Evictor {
  readonly tally: RetiredTally;

  constructor(
    private readonly filter: ConnectionFilter,
    /** Connections a report lists in full (problems, and others): kept of the evicted ones. */
    keep: number,
    readonly maxBytes = DEFAULT_MAX_MEMORY,
    /** False when nothing will be reported from the tally (kad analyze --events has printed every packet already). */
    private readonly tallies = true,
  ) {
    this.tally = new RetiredTally(keep);
  }

  afterRun(pipeline: CapturePipeline): void {
    if (pipeline.tracker.heldBytes() < this.maxBytes * START_SHARE) return;
    this.retire(pipeline.analysis(), this.targetBytes);
  }

  /** Held bytes past which eviction also takes open connections (and, with afterRun, starts). */
  get pressureBytes(): number {
    return this.maxBytes * START_SHARE;
  }
  get targetBytes(): number {
    return this.maxBytes * STOP_SHARE;
  }

  /**
   * Forgets the ended connections quiet for the grace and then, while more
   * than `targetBytes` is held, the quietest others. `diagnosis`, when given,
   * is of the tracker as it is now. Returns where each connection went (see
   * TcpTracker.compact), or null when none was forgotten.
   */
  retire(analysis: CaptureAnalysis, targetBytes = Infinity, diagnosis?: CaptureDiagnosis): Int32Array | null {
    const t = analysis.tracker;
    const store = t.store;
    const n = t.connectionCount;
    if (n === 0) return null;
    const nowNs = t.timeSpan().lastNs;
    const only = new Uint8Array(n);
    const { start } = t.eventGroups();
    const bytesOf = (c: number): number => t.heldBytesOf(c, start[c + 1]! - start[c]!);
    let held = t.heldBytes();
    let count = 0;
    for (let c = 0; c < n; c++) {
      if (!store.hasEnded(c) || nowNs - store.lastTimeNs(c) < (store.endKind(c) === 'fin' ? FIN_GRACE_NS : ENDED_GRACE_NS)) continue;
      only[c] = 1;
      held -= bytesOf(c);
      count++;
    }
    if (held > targetBytes) {
      const rest: number[] = [];
      for (let c = 0; c < n; c++) if (only[c] === 0) rest.push(c);
      rest.sort((a, b) => store.lastTimeNs(a) - store.lastTimeNs(b));
      for (const c of rest) {
        if (held <= targetBytes) break;
        only[c] = 1;
        held -= bytesOf(c);
        count++;
      }
    }
    if (count === 0) return null;
    if (this.tallies)
      retireConnections(analysis, this.filter, diagnosis ?? diagnoseCapture(analysis, undefined, { explain: false }), only, this.tally);
    else this.tally.evicted += count;
    for (let c = 0; c < n; c++) only[c] = only[c] === 1 ? 0 : 1;
    return t.compact(only);
  }
}

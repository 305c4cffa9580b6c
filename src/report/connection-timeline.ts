import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import { ConnectionEvents } from '../diagnose/connection-events.js';
import { KIND_NAMES } from '../track/packet-kind.js';
import type { Direction, FileReport, PacketKind, ResetAttribution } from '../model/analysis-report.js';
import { relTimeText } from '../track/time-base.js';

/** One remembered packet of a connection, placed on the connection's own time axis. */
export interface TimelineEvent {
  frame: number;
  /** Epoch seconds with 9 decimals, as everywhere in the report. */
  ts: string;
  /** Seconds since the connection's first packet (exact: computed before rounding to text). */
  atS: number;
  kind: PacketKind;
  dir: Direction;
  /** Silence in the connection just before this packet (s). */
  idleBeforeS: number;
  /** RSTs only: who really sent it, from the diagnosis. */
  attribution?: ResetAttribution;
}

/**
 * What the event log remembers of one connection: keepalives and their ACKs,
 * retransmissions, FINs, RSTs, zero-window probes, every packet that ends
 * ≥ 1 s of silence and the first answer to each — not every packet.
 */
export interface ConnectionTimeline {
  conn: number;
  start: string;
  end: string;
  durationS: number;
  events: TimelineEvent[];
  /** Events dropped from the middle of a very long list (the beginning and the end are kept). */
  omittedEvents: number;
}

/** A FileReport as the HTML renderer takes it: the report plus timelines of (some of) its problem connections. */
export interface HtmlFileReport extends FileReport {
  timelines?: ConnectionTimeline[];
  /** Connections that qualified for a timeline but were left out by the cap. */
  timelinesOmitted?: number;
}

/** A long-lived connection can hold thousands of keepalives; a drawing needs its start and, above all, its end. */
const MAX_EVENTS = 2000;
const HEAD_EVENTS = 200;

/**
 * Timelines of the given connections (1-based ids) from the tracker's event
 * log; RSTs get the attribution of the diagnosis when it has one.
 */
export function connectionTimelines(
  analysis: CaptureAnalysis,
  ids: number[],
  report?: Pick<FileReport, 'diagnoses'>,
): ConnectionTimeline[] {
  const tracker = analysis.tracker;
  const store = tracker.store;
  const log = tracker.events;
  const grouped = new ConnectionEvents(tracker);
  const attribution = new Map<number, ResetAttribution>();
  for (const d of report?.diagnoses ?? []) for (const v of d.resets) attribution.set(v.frame, v.attribution);

  const out: ConnectionTimeline[] = [];
  for (const id of ids) {
    const c = analysis.tracker.store.indexOfId(id);
    if (c < 0 || c >= tracker.connectionCount) continue;
    const t0 = store.firstTimeNs(c);
    const t1 = store.lastTimeNs(c);
    const events: TimelineEvent[] = [];
    const firstFrame = store.firstFrame(c);
    const opening = openingEvent(analysis, c);
    const idx = grouped.of(c);
    // The handshake is not logged (it lives in the connection record); put its first packet back.
    if (opening && (idx.length === 0 || log.frame(idx[0]!) !== firstFrame)) {
      events.push({ frame: firstFrame, ts: relTimeText(tracker, t0), atS: 0, kind: opening.kind, dir: opening.dir, idleBeforeS: 0 });
    }
    const keep =
      idx.length > MAX_EVENTS ? [...idx.subarray(0, HEAD_EVENTS), ...idx.subarray(idx.length - (MAX_EVENTS - HEAD_EVENTS))] : idx;
    for (const i of keep) {
      const kind = KIND_NAMES[log.kind(i)]!;
      const ev: TimelineEvent = {
        frame: log.frame(i),
        ts: relTimeText(tracker, log.time(i)),
        atS: (log.time(i) - t0) / 1e9,
        kind,
        dir: log.dir(i) === 0 ? 'c2s' : 's2c',
        idleBeforeS: log.idleBefore(i) / 1e9,
      };
      const a = kind === 'rst' ? attribution.get(ev.frame) : undefined;
      if (a) ev.attribution = a;
      events.push(ev);
    }
    out.push({
      conn: id,
      start: relTimeText(tracker, t0),
      end: relTimeText(tracker, t1),
      durationS: (t1 - t0) / 1e9,
      events,
      omittedEvents: idx.length - keep.length,
    });
  }
  return out;
}

/** The connection's first packet when the record says what it was: the SYN, or a SYN-ACK whose SYN was missed. */
function openingEvent(analysis: CaptureAnalysis, c: number): { kind: PacketKind; dir: Direction } | null {
  const s = analysis.tracker.store;
  if (s.midStream(c)) return null;
  return s.sawSyn(c) ? { kind: 'syn', dir: 'c2s' } : { kind: 'synack', dir: 's2c' };
}

/**
 * The report with timelines for `ids` (typically its problem connections),
 * at most `max` of them; the rest are counted so the page can say so.
 */
export function withTimelines(analysis: CaptureAnalysis, report: FileReport, ids: number[], max = Infinity): HtmlFileReport {
  const shown = ids.slice(0, max);
  return { ...report, timelines: connectionTimelines(analysis, shown, report), timelinesOmitted: ids.length - shown.length };
}

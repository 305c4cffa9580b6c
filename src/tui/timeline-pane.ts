import type { ResetAttribution } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { durationText } from '../util/time-text.js';
import type { ConnRow } from './conn-rows.js';
import type { EventRing } from './event-ring.js';
import { colourRuns, escapeTags, relSeconds } from './format.js';
import { legendLines, renderTimeline, zoomWindow } from './timeline.js';

export interface TimelineContext {
  baseSec: number;
  baseNsec: number;
  nowS: number;
  attribution: (conn: number, frame: number) => ResetAttribution | null;
  /** Zoom steps (see zoomWindow). */
  zoom: number;
  /** Legend lines the pane has room for. */
  legendLines: number;
}

const PREFIX = 4; // "c→s "

/**
 * Where the middlebox's idle clock started for this connection: before the
 * packet that met a forgotten flow (RST trigger, first unanswered probe), or
 * the last packet so far for a connection that is still open.
 */
export function idleAnchor(r: ConnRow, ring: EventRing | undefined, ctx: TimelineContext): number | null {
  const rst = r.diag?.resets[0];
  if (rst?.trigger) return relSeconds(rst.ts, ctx.baseSec, ctx.baseNsec) - rst.trigger.delayS - rst.trigger.idleBeforeS;
  const drop = r.diag?.silentDrop;
  if (drop && ring) {
    for (let k = 0; k < ring.size; k++) {
      const i = ring.slot(k);
      if (ring.frame[i] === drop.firstFrame) return ring.time[i]! - drop.idleBeforeS;
    }
    return null;
  }
  return r.ended ? null : r.lastS;
}

/** The timeline pane for the selected connection: label and tagged lines. */
export function timelinePane(
  r: ConnRow | null,
  ring: EventRing | undefined,
  width: number,
  ctx: TimelineContext,
): { label: string; lines: string[] } {
  const legend = legendLines(width)
    .slice(0, ctx.legendLines)
    .map((l) => `{grey-fg}${escapeTags(l)}{/grey-fg}`);
  if (r === null) return { label: ' timeline ', lines: ['no connection selected', '', '', '', ...legend] };
  if (ring === undefined || ring.size === 0) {
    return {
      label: ` timeline #${r.id} `,
      lines: [
        'no packets recorded for this connection (timelines are kept for the most recently active connections)',
        '',
        '',
        '',
        ...legend,
      ],
    };
  }
  const cols = Math.max(1, width - PREFIX);
  const oldest = ring.time[ring.slot(0)]!;
  const start = ring.wrapped ? oldest : Math.min(r.startS, oldest);
  const aliveUntil = r.ended ? r.lastS : Math.max(ctx.nowS, r.lastS);
  const anchor = idleAnchor(r, ring, ctx);
  const timeoutAt = anchor !== null && r.timeout ? anchor + r.timeout.timeoutS : null;
  let end = aliveUntil;
  // An open connection's deadline lies ahead: stretch the axis so that it is on screen.
  if (!r.ended && timeoutAt !== null) end = Math.max(end, timeoutAt);
  end += (end - start) * 0.02;
  const win = zoomWindow(start, end, ctx.zoom);
  const t = renderTimeline(ring, {
    start: win.start,
    end: win.end,
    width: cols,
    aliveFrom: r.startS,
    aliveUntil,
    timeoutAt,
    now: r.ended ? null : ctx.nowS,
    attribution: (frame) => ctx.attribution(r.id, frame),
  });
  const span = win.end - win.start;
  const zoom = ctx.zoom > 0 ? `, zoom ×${2 ** ctx.zoom} (last part)` : '';
  const label =
    ` timeline #${r.id} ${escapeTags(endpointText(r.conn.client))} → ${escapeTags(r.path)}  ` +
    `+${durationText(span, 'compact')} at ${durationText(span / cols, 'compact')}/char${zoom}${ring.wrapped ? `, last ${ring.size} packets` : ''} `;
  return {
    label,
    lines: [
      `c→s ${colourRuns(t.c2s, t.colours[0])}`,
      `s→c ${colourRuns(t.s2c, t.colours[1])}`,
      `    ${colourRuns(t.marker, t.colours[2])}`,
      `    ${escapeTags(t.axis)}`,
      ...legend,
    ],
  };
}

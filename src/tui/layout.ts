export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface Layout {
  header: Rect;
  /** Null while the detail is a full-screen view. */
  table: Rect | null;
  timeline: Rect | null;
  /** Legend lines the timeline pane has room for (the help overlay always has the legend). */
  legendLines: number;
  log: Rect | null;
  detail: Rect | null;
  footer: Rect;
}

const HEADER = 3;
const FOOTER = 1;
/** Border (2) + two packet rows + marker row + axis row. */
const TIMELINE_BASE = 6;
/** Border, column titles, one row. */
const TABLE_MIN = 4;
/** Border and one event. */
const LOG_MIN = 3;
/** Five events: the log is worth a share of a big screen. */
const LOG_COMFORT = 7;
/**
 * Below this body height the detail is a full-screen view: as a pane
 * beside the table and the timeline it would show a handful of lines of a
 * text that runs to dozens.
 */
export const DETAIL_PANE_MIN_BODY = 30;

/**
 * Pane geometry for a terminal of cols × rows, with `tableLines` lines of
 * table content (titles, rows, group lines) to show. Pure, so that every
 * resize goes through the same arithmetic and small terminals degrade by
 * shrinking panes rather than overlapping them. The table comes first: it
 * gets every row it has, as long as the timeline and one event line still
 * fit; on a big screen the legend and a few events are kept as well.
 */
export function computeLayout(cols: number, rows: number, detail: boolean, legendLineCount: number, tableLines: number): Layout {
  const w = Math.max(1, cols);
  const body = Math.max(0, rows - HEADER - FOOTER);
  const at = (top: number, height: number): Rect | null => (height > 0 ? { top, left: 0, width: w, height } : null);
  const frame = {
    header: { top: 0, left: 0, width: w, height: HEADER },
    footer: { top: Math.max(0, rows - FOOTER), left: 0, width: w, height: FOOTER },
  };
  const wanted = tableLines + 2;
  const tableMin = Math.min(TABLE_MIN, body);

  if (detail && body < DETAIL_PANE_MIN_BODY) {
    return { ...frame, table: null, timeline: null, legendLines: 0, log: null, detail: at(HEADER, body) };
  }
  if (detail) {
    // The detail takes the room; the table keeps a third at most, the timeline its packet rows.
    const tableH = clamp(wanted, tableMin, Math.floor(body * 0.3));
    const timelineH = Math.min(TIMELINE_BASE, body - tableH);
    const rest = body - tableH - timelineH;
    const logH = rest >= 20 ? 5 : 0;
    const top = HEADER + tableH + timelineH;
    return {
      ...frame,
      table: at(HEADER, tableH),
      timeline: at(HEADER + tableH, timelineH),
      legendLines: 0,
      log: at(top, logH),
      detail: at(top + logH, rest - logH),
    };
  }
  const comfortable = TIMELINE_BASE + legendLineCount + LOG_COMFORT;
  const tableMax = body - comfortable >= body / 2 ? body - comfortable : body - TIMELINE_BASE - LOG_MIN;
  const tableH = clamp(wanted, tableMin, Math.max(tableMin, tableMax));
  const left = body - tableH;
  const legend = left - TIMELINE_BASE - legendLineCount >= LOG_COMFORT ? legendLineCount : 0;
  const timelineH = Math.min(TIMELINE_BASE + legend, left);
  let logH = left - timelineH;
  if (logH < LOG_MIN) logH = 0;
  return {
    ...frame,
    table: at(HEADER, tableH),
    timeline: at(HEADER + tableH, timelineH + (left - timelineH - logH)),
    legendLines: legend,
    log: at(HEADER + tableH + left - logH, logH),
    detail: null,
  };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

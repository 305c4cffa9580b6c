export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface Layout {
  header: Rect;
  table: Rect;
  timeline: Rect;
  log: Rect | null;
  detail: Rect | null;
  footer: Rect;
}

const HEADER = 3;
const FOOTER = 1;
/** Border (2) + two packet rows + marker row + axis row. */
const TIMELINE_BASE = 6;

/**
 * Pane geometry for a terminal of cols × rows. Pure, so that every resize
 * goes through the same arithmetic and small terminals degrade by shrinking
 * panes rather than overlapping them.
 */
export function computeLayout(cols: number, rows: number, detail: boolean, legendLineCount: number): Layout {
  const w = Math.max(1, cols);
  const body = Math.max(0, rows - HEADER - FOOTER);
  const timelineH = Math.max(3, Math.min(TIMELINE_BASE + legendLineCount, body - 7));
  const rest = Math.max(0, body - timelineH);
  // The detail pane needs the room: evidence lines are long and wrap.
  // The detail pane needs the room (evidence lines are long): the table shrinks and the
  // event log keeps a few full-width lines above it, so that no line is cut to a stub.
  const tableH = Math.max(4, Math.floor(rest * (detail ? 0.3 : 0.5)));
  const bottomH = Math.max(3, rest - tableH);
  const bottomTop = HEADER + tableH + timelineH;
  let log: Rect | null = { top: bottomTop, left: 0, width: w, height: bottomH };
  let det: Rect | null = null;
  if (detail) {
    const logH = bottomH >= 12 ? 5 : 0;
    log = logH ? { top: bottomTop, left: 0, width: w, height: logH } : null;
    det = { top: bottomTop + logH, left: 0, width: w, height: bottomH - logH };
  }
  return {
    header: { top: 0, left: 0, width: w, height: HEADER },
    table: { top: HEADER, left: 0, width: w, height: tableH },
    timeline: { top: HEADER + tableH, left: 0, width: w, height: timelineH },
    log,
    detail: det,
    footer: { top: Math.max(0, rows - FOOTER), left: 0, width: w, height: FOOTER },
  };
}

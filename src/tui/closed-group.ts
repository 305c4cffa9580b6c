/**
 * How long a connection that is no longer open stays among the live rows
 * after its last packet (capture seconds) before it folds into the closed
 * group. A minute is long enough to see a connection end and to read its
 * verdict as it happens; after that the rows are for connections that can
 * still be saved, and the event log and the header's reset counts keep the
 * story. The one place this rule lives.
 */
export const CLOSED_FOLD_AFTER_S = 60;

/** What folding needs of a row: is it still open, and when did it last carry a packet. */
export interface FoldableRow {
  id: number;
  open: boolean;
  /** Seconds after the tracker's time base. */
  lastS: number;
}

/**
 * Rows split into those shown in the list and those folded into the closed
 * group; order kept. The selected row (`keep`) stays listed: the one being
 * read must not vanish from under the reader; it folds once the selection
 * moves on.
 */
export function foldClosed<R extends FoldableRow>(
  rows: readonly R[],
  nowS: number,
  keep: number | null = null,
): { live: R[]; closed: R[] } {
  const live: R[] = [];
  const closed: R[] = [];
  for (const r of rows) (!r.open && r.id !== keep && nowS - r.lastS >= CLOSED_FOLD_AFTER_S ? closed : live).push(r);
  return { live, closed };
}

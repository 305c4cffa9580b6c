/** A table column: the least it can be shown in, what it would like, how much it matters. */
export interface ColumnSpec<K extends string = string> {
  key: K;
  min: number;
  ideal: number;
  /** 0 matters most; the column with the highest number is dropped first when the line is too narrow. */
  priority: number;
  /** Takes whatever width is left once every shown column has its ideal. */
  flex?: boolean;
}

export interface FittedColumn<K extends string = string> {
  key: K;
  width: number;
}

/**
 * Widths for a line of `width` columns, one `gap` between neighbours,
 * in the specs' order. Columns are dropped, least important first, until
 * every remaining one has its minimum; then the spare width raises them
 * towards their ideal, most important first, and what is still left goes
 * to the flex column. Pure, so that every terminal width gets the same
 * arithmetic and the tests can try all of them.
 */
export function fitColumns<K extends string>(specs: readonly ColumnSpec<K>[], width: number, gap = 1): FittedColumn<K>[] {
  const shown = [...specs];
  const need = () => shown.reduce((n, c) => n + c.min, 0) + gap * Math.max(0, shown.length - 1);
  while (shown.length > 1 && need() > width) {
    const least = shown.reduce((a, b) => (b.priority > a.priority ? b : a));
    shown.splice(shown.indexOf(least), 1);
  }
  const widths = new Map<K, number>(shown.map((c) => [c.key, c.min]));
  let spare = width - need();
  for (const c of [...shown].sort((a, b) => a.priority - b.priority)) {
    if (spare <= 0) break;
    const more = Math.min(spare, Math.max(0, c.ideal - c.min));
    widths.set(c.key, c.min + more);
    spare -= more;
  }
  const flex = shown.find((c) => c.flex);
  if (flex && spare > 0) widths.set(flex.key, widths.get(flex.key)! + spare);
  return shown.map((c) => ({ key: c.key, width: Math.max(0, widths.get(c.key)!) }));
}

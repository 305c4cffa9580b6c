import { endpointText } from '../util/ip-text.js';
import { durationText } from '../util/time-text.js';
import { abbreviateEndpoint } from './abbreviate.js';
import { CLOSED_FOLD_AFTER_S } from './closed-group.js';
import { fitColumns, type ColumnSpec, type FittedColumn } from './columns.js';
import { stateText, type ConnRow } from './conn-rows.js';
import { escapeTags, fitEnd, tag } from './format.js';

type Key = 'id' | 'client' | 'server' | 'state' | 'age' | 'idle' | 'ka' | 'verdict';
export type TableColumns = FittedColumn<Key>[];

const ARROW = ' →';
/** The verdict column never gets narrower than this when rows need it: 'AT RISK: idle 97% of T' whole. */
const VERDICT_MIN = 22;
const ENDPOINT_MIN = 14;
const NUMBER = 6;

const TITLE: Record<Key, string> = {
  id: '#',
  client: 'client',
  server: 'server',
  state: 'state',
  age: 'age',
  idle: 'idle',
  ka: 'ka s/a',
  verdict: 'risk / verdict',
};
const RIGHT: ReadonlySet<Key> = new Set(['id', 'age', 'idle', 'ka']);

const longest = (rows: readonly ConnRow[], f: (r: ConnRow) => string, floor: number) =>
  rows.reduce((n, r) => Math.max(n, f(r).length), floor);

/**
 * The table's columns for `width`, by what matters: the connection's
 * number and its verdict first (never cut to a stub: a narrow column gets
 * the short wording), then the server (the path at risk) and the client,
 * idle time, state, age, keepalives. Widths follow the rows on screen.
 */
export function tableColumns(rows: readonly ConnRow[], width: number): TableColumns {
  const specs: ColumnSpec<Key>[] = [
    { key: 'id', min: 4, ideal: longest(rows, (r) => String(r.id), 4), priority: 0 },
    {
      key: 'client',
      min: ENDPOINT_MIN + ARROW.length,
      ideal: longest(rows, (r) => endpointText(r.conn.client), 6) + ARROW.length,
      priority: 3,
    },
    { key: 'server', min: ENDPOINT_MIN, ideal: longest(rows, (r) => r.path, 6), priority: 2 },
    { key: 'state', min: 6, ideal: longest(rows, (r) => stateText(r.conn), 5), priority: 5 },
    { key: 'age', min: NUMBER, ideal: NUMBER + 1, priority: 6 },
    { key: 'idle', min: NUMBER, ideal: NUMBER + 1, priority: 4 },
    { key: 'ka', min: NUMBER, ideal: NUMBER + 1, priority: 7 },
    {
      key: 'verdict',
      min: Math.min(
        VERDICT_MIN,
        longest(rows, (r) => r.riskShort, TITLE.verdict.length),
      ),
      ideal: longest(rows, (r) => r.riskText, TITLE.verdict.length),
      priority: 1,
      flex: true,
    },
  ];
  return fitColumns(specs, width);
}

function cell(key: Key, text: string, width: number): string {
  return RIGHT.has(key) ? (text.length > width ? fitEnd(text, width) : text.padStart(width)) : fitEnd(text, width);
}

export function tableHeader(cols: TableColumns): string {
  return cols
    .map((c) => cell(c.key, c.key === 'client' ? TITLE.client.padEnd(c.width - ARROW.length) + ARROW : TITLE[c.key], c.width))
    .join(' ');
}

function rowCell(r: ConnRow, key: Key, width: number): string {
  switch (key) {
    case 'id':
      return String(r.id).padStart(width);
    case 'client':
      return abbreviateEndpoint(endpointText(r.conn.client), width - ARROW.length) + ARROW;
    case 'server':
      return abbreviateEndpoint(r.path, width);
    case 'state': {
      const full = stateText(r.conn);
      return fitEnd(full.length <= width ? full : r.conn.ended.kind, width);
    }
    case 'age':
      return cell(key, durationText(r.ageS, 'compact'), width);
    case 'idle':
      return cell(key, r.idleS === null ? '-' : durationText(r.idleS, 'compact'), width);
    case 'ka':
      return cell(key, `${r.conn.keepalives.sent}/${r.conn.keepalives.answered}`, width);
    case 'verdict':
      return fitEnd(r.riskText.length <= width ? r.riskText : r.riskShort, width);
  }
}

/** One row's line in the table's columns; the selected one is shown inverse. */
export function tableLine(r: ConnRow, cols: TableColumns, selected: boolean): string {
  const line = cols
    .map((c) => {
      const text = escapeTags(rowCell(r, c.key, c.width));
      return c.key === 'verdict' ? tag(r.riskColour, text) : text;
    })
    .join(' ');
  return selected ? `{inverse}${line}{/inverse}` : line;
}

/** The closed group's own line in the table, folded or open. */
export function closedGroupLine(count: number, expanded: boolean, width: number): string {
  const text = expanded
    ? `▾ ${count} closed connection${count === 1 ? '' : 's'} (c folds them)`
    : `▸ ${count} closed connection${count === 1 ? '' : 's'}, no packet for ${durationText(CLOSED_FOLD_AFTER_S, 'compact')}+ (c shows them)`;
  return `{grey-fg}${escapeTags(fitEnd(text, width).trimEnd())}{/grey-fg}`;
}

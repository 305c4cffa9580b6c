import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abbreviateEndpoint } from '../src/tui/abbreviate.js';
import { CLOSED_FOLD_AFTER_S, foldClosed } from '../src/tui/closed-group.js';
import { fitColumns, type ColumnSpec } from '../src/tui/columns.js';
import { applyKey, initialUiState, MAX_ZOOM } from '../src/tui/keys.js';
import { computeLayout, DETAIL_PANE_MIN_BODY } from '../src/tui/layout.js';
import { idleTimeoutLine } from '../src/tui/header.js';
import { zoomWindow } from '../src/tui/timeline.js';
import { visibleLength, wrapAll, wrapTagged } from '../src/tui/word-wrap.js';

const plain = (s: string) => s.replace(/\{[^{}]*\}/g, '');

test('word wrap: breaks at spaces only, keeps the indentation, never exceeds the width', () => {
  const text = '  verdict: Reset by a middlebox (confidence 0.95): the RST claims to come from the client, but the client did not send it.';
  for (const width of [20, 33, 40, 78, 118]) {
    const lines = wrapTagged(text, width);
    for (const l of lines) assert.ok(visibleLength(l) <= width, `${width}: "${l}"`);
    // Every word survives whole: joining the lines gives the words back.
    assert.deepEqual(lines.join(' ').split(/\s+/).filter(Boolean), text.split(/\s+/).filter(Boolean), `width ${width}`);
    assert.ok(
      lines.slice(1).every((l) => l.startsWith('    ') && l[4] !== ' '),
      'continuations indented two more',
    );
  }
  assert.deepEqual(wrapTagged('abc def', 80), ['abc def']);
  // A word longer than the line is the one thing cut.
  const long = wrapTagged('x net.ipv4.tcp_keepalive_probes=3 y', 12);
  assert.ok(
    long.every((l) => visibleLength(l) <= 12),
    long.join('|'),
  );
  assert.equal(long.join('').replace(/ /g, ''), 'xnet.ipv4.tcp_keepalive_probes=3y');
});

test('word wrap: every line carries its own tags, escapes count as one column', () => {
  const lines = wrapTagged('{bold}recommendation:{/bold} {red-fg}keep every idle gap under the stated timeout{/red-fg} ok', 20);
  for (const l of lines) {
    const opens = (l.match(/\{(?!\/)[\w-]+\}/g) ?? []).length;
    const closes = (l.match(/\{\/[\w-]+\}/g) ?? []).length;
    assert.equal(opens, closes, `balanced: ${l}`);
  }
  assert.match(lines[1]!, /^\{red-fg\}/, 'the colour goes on on the next line');
  assert.equal(visibleLength('{open}x{close} {bold}y{/bold}'), 5);
  assert.deepEqual(wrapAll(['a b', 'c\nd'], 10), ['a b', 'c', 'd']);
});

test('columns: the least important go first, the rest grow towards their ideal, the flex column takes what is left', () => {
  const specs: ColumnSpec[] = [
    { key: 'id', min: 4, ideal: 4, priority: 0 },
    { key: 'client', min: 14, ideal: 20, priority: 3 },
    { key: 'server', min: 14, ideal: 20, priority: 2 },
    { key: 'age', min: 6, ideal: 7, priority: 6 },
    { key: 'verdict', min: 22, ideal: 30, priority: 1, flex: true },
  ];
  const keys = (w: number) => fitColumns(specs, w).map((c) => c.key);
  const total = (w: number) => fitColumns(specs, w).reduce((n, c) => n + c.width + 1, -1);
  assert.deepEqual(keys(200), ['id', 'client', 'server', 'age', 'verdict']);
  assert.equal(total(200), 200, 'fills the line');
  assert.deepEqual(keys(60), ['id', 'client', 'server', 'verdict'], 'age dropped first');
  assert.deepEqual(keys(45), ['id', 'server', 'verdict'], 'then the client');
  assert.deepEqual(keys(20), ['id'], 'the verdict goes only when nothing else is left');
  for (let w = 30; w <= 200; w++) {
    assert.ok(total(w) <= w, `width ${w}`);
    const v = fitColumns(specs, w).find((c) => c.key === 'verdict');
    assert.ok(v && v.width >= 22, `the verdict keeps its minimum at ${w}`);
  }
  // Spare width goes to the verdict, then to the server, then to the client.
  const at = fitColumns(
    specs.filter((c) => c.key !== 'age'),
    4 + 14 + 14 + 30 + 3 + 4,
  );
  assert.equal(at.find((c) => c.key === 'verdict')!.width, 30);
  assert.equal(at.find((c) => c.key === 'server')!.width, 18);
  assert.equal(at.find((c) => c.key === 'client')!.width, 14);
});

test('endpoints keep the port and the end of the address, cut at a group boundary', () => {
  assert.equal(abbreviateEndpoint('10.0.1.43:43688', 20), '10.0.1.43:43688     ');
  assert.equal(abbreviateEndpoint('10.0.1.43:43688', 14), '…0.1.43:43688 ');
  assert.equal(abbreviateEndpoint('10.0.1.43:43688', 12), '…1.43:43688 ');
  assert.equal(abbreviateEndpoint('192.168.100.43:5432', 12).trimEnd(), '…100.43:5432');
  assert.equal(abbreviateEndpoint('[2001:db8:4000::1:77]:43712', 14).trimEnd(), '…:1:77]:43712');
  assert.equal(abbreviateEndpoint('10.0.1.43:43688', 7), '…:43688', 'the port at least');
  for (let w = 1; w <= 20; w++) assert.equal(abbreviateEndpoint('198.51.100.10:5432', w).length, w);
  assert.doesNotMatch(abbreviateEndpoint('198.51.100.10:5432', 13), /…[.:]/, 'never starts mid-separator');
});

test('closed connections fold after CLOSED_FOLD_AFTER_S without packets; open ones never', () => {
  const rows = [
    { id: 1, open: false, lastS: 0 },
    { id: 2, open: true, lastS: 0 },
    { id: 3, open: false, lastS: 100 - CLOSED_FOLD_AFTER_S + 1 },
    { id: 4, open: false, lastS: 100 - CLOSED_FOLD_AFTER_S },
  ];
  const { live, closed } = foldClosed(rows, 100);
  assert.deepEqual(
    live.map((r) => r.id),
    [2, 3],
  );
  assert.deepEqual(
    closed.map((r) => r.id),
    [1, 4],
  );
  assert.deepEqual(
    foldClosed(rows, 100, 4).closed.map((r) => r.id),
    [1],
    'the selected row stays listed',
  );
});

test('layout: every row the table has at 80x24, as long as the timeline and one event fit; detail full-screen when small', () => {
  const l = computeLayout(80, 24, false, 4, 9);
  assert.equal(l.table!.height, 11, 'eight rows and the titles, with borders');
  assert.equal(l.timeline!.height, 6);
  assert.equal(l.log!.height, 3);
  assert.equal(l.legendLines, 0, 'the legend gives way (the help has it)');
  const many = computeLayout(80, 24, false, 4, 50);
  assert.equal(many.table!.height, 11, 'no more than leaves the timeline and an event');
  const big = computeLayout(200, 60, false, 1, 200);
  assert.equal(big.legendLines, 1, 'a big screen keeps the legend');
  assert.ok(big.log!.height >= 7 && big.table!.height >= 40);
  const small = computeLayout(80, 24, true, 4, 9);
  assert.equal(small.table, null);
  assert.deepEqual(small.detail, { top: 3, left: 0, width: 80, height: 20 });
  const pane = computeLayout(120, 4 + DETAIL_PANE_MIN_BODY, true, 2, 9);
  assert.ok(pane.table && pane.timeline && pane.detail!.height >= 15);
  for (const [cols, rows] of [
    [80, 24],
    [120, 40],
    [200, 60],
    [40, 12],
    [20, 6],
  ] as const) {
    for (const detail of [false, true]) {
      for (const lines of [1, 10, 100]) {
        const x = computeLayout(cols, rows, detail, 3, lines);
        const panes = [x.header, x.table, x.timeline, x.log, x.detail].filter((p) => p !== null);
        const used = panes.reduce((n, p) => n + p.height, 0) + x.footer.height;
        assert.ok(used <= rows, `${cols}x${rows} detail=${detail} lines=${lines}: ${used} rows`);
        for (let i = 1; i < panes.length; i++) assert.equal(panes[i]!.top, panes[i - 1]!.top + panes[i - 1]!.height, 'tiled, no overlap');
      }
    }
  }
});

test('keys: PgUp/PgDn scroll an open detail, + and - zoom within bounds, c unfolds the closed group', () => {
  const s = initialUiState();
  const shown = [1, 2];
  applyKey(s, { name: 'enter' }, shown);
  applyKey(s, { name: 'pagedown' }, shown, 20);
  applyKey(s, { name: 'pagedown' }, shown, 20);
  assert.equal(s.detailTop, 38, 'a page less one line of overlap');
  assert.equal(s.selectedId, null, 'the selection stays');
  applyKey(s, { name: 'pageup' }, shown, 20);
  assert.equal(s.detailTop, 19);
  applyKey(s, { name: 'down' }, shown, 20);
  assert.equal(s.detailTop, 0, "another connection's detail starts at its top");
  for (let i = 0; i < MAX_ZOOM + 3; i++) applyKey(s, { ch: '+' }, shown);
  assert.equal(s.zoom, MAX_ZOOM);
  applyKey(s, { ch: '-' }, shown);
  assert.equal(s.zoom, MAX_ZOOM - 1);
  for (let i = 0; i < MAX_ZOOM + 3; i++) applyKey(s, { ch: '-' }, shown);
  assert.equal(s.zoom, 0);
  applyKey(s, { ch: 'c', name: 'c' }, shown);
  assert.equal(s.showClosed, true);
  s.detail = false;
  applyKey(s, { name: 'pagedown' }, shown);
  assert.equal(s.selectedId, 2, 'without the detail PgDn moves the selection');
});

test('zoom keeps the end of the window and halves it per step', () => {
  assert.deepEqual(zoomWindow(0, 100, 0), { start: 0, end: 100 });
  assert.deepEqual(zoomWindow(0, 100, 2), { start: 75, end: 100 });
  assert.equal(plain('{bold}x{/bold}'), 'x');
});

test('the idle-timeout header line lists whole brackets that fit, then counts the rest', () => {
  const items = [
    '198.51.100.10:5432 T ≤ 5.17 s (1 died, 0 survived)',
    '203.0.113.7:443 30.0 s < T ≤ 350 s (2 died, 9 survived)',
    '[2001:db8::7]:22 T ≤ 12.0 s (1 died, 0 survived)',
  ];
  const wide = idleTimeoutLine(items);
  assert.equal(wide, `idle timeout: ${items.join('; ')}`);
  for (const width of [60, 80, 120, 160]) {
    const line = idleTimeoutLine(items, width);
    assert.ok(line.length <= width, `${width}: ${line}`);
    if (/paths known/.test(line)) {
      assert.equal(line, `idle timeout: ${items.length} paths known (each row's detail has its own)`);
      continue;
    }
    // No item is cut: each one shown is whole.
    const shown = line
      .replace(/^idle timeout: /, '')
      .replace(/; \+\d+ more$/, '')
      .split('; ');
    for (const s of shown) assert.ok(items.includes(s), `${width}: "${s}" is a cut item`);
    const more = /\+(\d+) more$/.exec(line);
    assert.equal(shown.length + Number(more?.[1] ?? 0), items.length, `${width}: every item shown or counted`);
  }
  assert.equal(idleTimeoutLine([], 80), 'idle timeout: unknown yet (kad probe measures it)');
  assert.match(idleTimeoutLine([], 200), /none inferred yet/);
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { ReplayFeed } from '../src/live/replay-feed.js';
import { createTuiModel, createTuiScreen, timelineRecorderOf } from '../src/tui/run-tui.js';
import { TuiApp } from '../src/tui/tui-app.js';
import { REPO } from './helpers/run-kad.js';

/** A terminal with no terminal: blessed writes into the void, the test reads blessed's own cell buffer. */
function fakeTerminal(cols: number, rows: number) {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    setRawMode(this: { isRaw: boolean }, on: boolean) {
      this.isRaw = on;
    },
  });
  const output = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: true, columns: cols, rows });
  return { input, output };
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(20);
  }
}

test('headless: replay a forged-RST capture, drive the keys, resize, quit', async () => {
  const term = fakeTerminal(160, 48);
  const screen = createTuiScreen(term.input, term.output);
  const text = () =>
    (screen as unknown as { lines: Array<Array<[number, string]>> }).lines.map((l) => l.map((c) => c[1]).join('')).join('\n');
  const feed = new ReplayFeed(join(REPO, 'captures/fw-reset-keepalive.server.pcap'), {
    speed: 0,
    displayName: 'fw-reset-keepalive.server.pcap',
  });
  const model = createTuiModel(feed, { refreshMs: 50 });
  const app = new TuiApp(model, timelineRecorderOf(model), screen, { title: feed.label, tickMs: 50 });
  let quit = false;
  const running = app.run().then(() => (quit = true));
  try {
    await until('the replay to end', () => text().includes('[ended]'));
    await wait(50);
    let s = text();
    assert.match(s, /replay fw-reset-keepalive\.server\.pcap at max speed/);
    assert.match(s, /192\.0\.2\.10:\d+ +→ 198\.51\.100\.10:5432 +reset \(client\)/);
    assert.match(s, /middlebox RST \(0\.95\)/);
    assert.match(s, /resets: middlebox 1 +peer 0 +local-stack 0 +unknown 0/);
    assert.match(s, /c→s S-+R/);
    assert.match(s, /s→c S-+K/);
    assert.match(s, / T /, 'idle-timeout marker');
    assert.match(s, /#1 RST frame \d+ \(claims the client\): middlebox/);
    assert.doesNotMatch(s, /TTL 63/, 'no detail pane yet');

    term.input.write('\r');
    await wait(50);
    s = text();
    assert.match(s, /detail #1/);
    assert.match(s, /\[ttl, strong → middlebox\] RST TTL 64/);

    term.input.write('s');
    term.input.write('/nomatch\r');
    await wait(50);
    s = text();
    assert.match(s, /sort: idle/);
    assert.match(s, /no connection matches the filter/);
    term.input.write('\x1b');
    await wait(80);
    assert.match(text(), /192\.0\.2\.10:\d+ +→ 198\.51\.100\.10:5432/);

    term.output.columns = 100;
    term.output.rows = 30;
    term.output.emit('resize');
    await until('the re-layout', () => text().split('\n').length === 30 && text().split('\n')[0]!.length === 100, 3000);
    s = text();
    // 30 rows are too few for a detail pane beside the table: the detail is a full-screen view.
    assert.match(s, /detail #1 +lines 1–\d+ of \d+, PgUp\/PgDn scroll +Enter\/Esc back/);
    assert.doesNotMatch(s, /c→s/);
    term.input.write('\x1b');
    await until('the table back', () => /c→s S-+R/.test(text()), 3000);
    assert.match(text(), /198\.51\.100\.10:5432/);

    term.input.write('?');
    await wait(50);
    assert.match(text(), /this help \(any key closes it\)/);
    assert.match(text(), /F +kad fix for the selected connection's socket/);
    term.input.write('x');
    await wait(50);

    // F: kad fix for the selected connection; a replay has no socket on this host, and says so.
    term.input.write('F');
    await until('the kad fix overlay', () => /kad fix changes a socket of this host/.test(text()), 3000);
    assert.match(text(), / kad fix /);
    term.input.write('y');
    await until('the overlay closed', () => !/kad fix changes a socket/.test(text()), 3000);
    term.input.write('q');
    await until('quit', () => quit, 2000);
  } finally {
    app.quit();
    await running;
    await app.dispose();
    screen.destroy();
  }
  assert.ok(feed.delivered === feed.total);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { buildPcap } from '../helpers/capture-builder.js';
import { labSkip } from '../helpers/lab-gate.js';
import { REPO } from '../helpers/run-kad.js';
import { tempCaptures } from '../helpers/temp-captures.js';
import { crowd, CROWD_TIMEOUT_S } from '../helpers/tui-crowd.js';

/**
 * `kad tui` at the sizes terminals come in, in tmux: eleven connections
 * (closed, reset, at risk, healthy, IPv6) replayed at max speed, so that the
 * screen is final within a second and every assertion reads what a user
 * would see. Each size gets its own session on this process's own tmux
 * socket; every wait polls the screen, never sleeps a fixed time.
 */
const noTmux = labSkip(import.meta.url, { tools: ['tmux'] });
const SOCKET = `kad-tui-sizes-${process.pid}`;
const captures = tempCaptures('kad-tui-sizes-', 'pcap');
const file = noTmux ? '' : captures.write(buildPcap(crowd(), { nano: true }));
after(() => spawnSync('tmux', ['-L', SOCKET, 'kill-server']));

class Pane {
  constructor(
    readonly session: string,
    readonly cols: number,
  ) {}

  tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  keys(...k: string[]): void {
    // eslint-disable-next-line no-restricted-syntax -- a few key names, never data-sized
    this.tmux('send-keys', '-t', this.session, ...k);
  }

  /**
   * Polls the screen until `cond` holds on two captures in a row that are the
   * same: tmux may be read while blessed is halfway through a frame. Generous,
   * because a loaded machine is slow to start node.
   */
  async until(what: string, cond: (s: string) => boolean, ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    let before = '';
    for (;;) {
      const s = this.screen();
      if (cond(s) && s === before) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} at ${this.cols} columns; screen:\n${s}`);
      before = s;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', this.session]);
  }
}

async function open(cols: number, rows: number): Promise<{ pane: Pane; screen: string }> {
  const session = `kad-${cols}x${rows}-${process.pid}`;
  const cmd = `sh -c 'node bin/kad tui ${file} --speed 0 --idle-timeout ${CROWD_TIMEOUT_S}s; echo EXIT=$?; sleep 60'`;
  const pane = new Pane(session, cols);
  pane.tmux(
    'new-session',
    '-d',
    '-x',
    String(cols),
    '-y',
    String(rows),
    '-s',
    session,
    '-c',
    REPO,
    '-e',
    'TERM=xterm-256color',
    '-e',
    'LANG=C.UTF-8',
    cmd,
  );
  const screen = await pane.until('the replay to end', (s) => s.includes('[ended]') && s.includes('source ended'));
  return { pane, screen };
}

const lines = (s: string) => s.split('\n');
/** The detail's text, its box borders stripped, one space between lines: a word split by a wrap would not survive. */
const boxText = (s: string) =>
  lines(s)
    .filter((l) => l.startsWith('│'))
    .map((l) => l.replace(/^│/, '').replace(/│\s*$/, '').trim())
    .join(' ');
const rowOf = (s: string, re: RegExp) => lines(s).findIndex((l) => re.test(l));
const lastRowOf = (s: string, re: RegExp) => lines(s).findLastIndex((l) => re.test(l));

async function quit(pane: Pane): Promise<void> {
  pane.keys('q');
  await pane.until('kad to exit', (s) => s.includes('EXIT=0'));
}

test(
  '80x24: every live connection, whole verdicts, abbreviated addresses, a full-screen detail that scrolls to the evidence',
  { skip: noTmux, timeout: 60_000 },
  async () => {
    const { pane, screen: s } = await open(80, 24);
    try {
      assert.ok(
        lines(s).every((l) => l.length <= 80),
        'nothing drawn past the edge',
      );
      assert.match(s, /connections 11 \(6 open\) +at risk 3 +resets: middlebox 1/);
      // Seven live rows and the closed group: as many rows as the table has, not two.
      assert.equal(lines(s).filter((l) => /AT RISK: idle 97% of T/.test(l)).length, 3);
      assert.match(s, /middlebox RST \(0\.95\)/, 'the verdict whole');
      assert.equal(lines(s).filter((l) => /ok \(idle \d+% of T\)/.test(l)).length, 3);
      assert.match(s, /▸ 4 closed connections/);
      assert.doesNotMatch(s, /\bfin\b/, 'the closed ones folded');
      // Live at risk above the dead reset.
      assert.ok(lastRowOf(s, /AT RISK/) < rowOf(s, /middlebox RST/));
      // Addresses cut from the front, at a group boundary, the port whole.
      assert.match(s, /…[\d.]*\.40:43700 +→ /);
      assert.match(s, /…[:\d]*:1:77\]:43712 +→ /);
      assert.doesNotMatch(s, /\d…\d/, 'never cut in the middle');

      // The legend gave way in the timeline pane; the help has all of it, and every key.
      pane.keys('?');
      const help = await pane.until('the help', (x) => x.includes('this help (any key closes it)'));
      assert.match(help, /q, Ctrl-C +quit/);
      assert.match(help, /T idle timeout from last activity +\| now/);
      pane.keys('x');
      await pane.until('the help closed', (x) => !x.includes('this help'));

      // The reset connection's detail: full screen, wrapped at words, scrolled to its evidence.
      pane.keys('Down', 'Down', 'Down', 'Enter');
      let d = await pane.until('the detail', (x) => /detail #\d+ +lines 1–\d+ of \d+, PgUp\/PgDn scroll/.test(x));
      assert.match(d, /verdict: Reset by a middlebox/);
      assert.doesNotMatch(d, /c→s/, 'the detail has the screen');
      assert.match(boxText(d), /the RST claims to come from the client, but the client did not send it\./);
      pane.keys('PageDown');
      const end = await pane.until('the last page', (x) => {
        const m = /lines (\d+)–(\d+) of (\d+)/.exec(x);
        return m !== null && m[1] !== '1' && m[2] === m[3];
      });
      assert.match(boxText(end), /\[seq, weak\] the RST's sequence number is exactly the client's next one/, 'the last evidence item');
      assert.match(boxText(end), /server→client: 3 pkts/, 'down to the last line');
      assert.ok([d, end].some((x) => x.includes("[ttl, strong → middlebox] RST TTL 64 = 0 hops away, but the client's")));
      pane.keys('PageUp');
      d = await pane.until('back at the top', (x) => /lines 1–/.test(x));
      pane.keys('Escape');
      await pane.until('the table back', (x) => x.includes('c→s'));
      await quit(pane);
    } finally {
      pane.close();
    }
  },
);

test(
  '120x40: the closed group unfolds with c, the timeline zooms with + and -, the legend is back',
  { skip: noTmux, timeout: 60_000 },
  async () => {
    const { pane, screen: s } = await open(120, 40);
    try {
      assert.match(s, /K keepalive probe/, 'room for the legend');
      assert.match(s, /\+\/- zoom +c closed/);
      assert.match(s, /10\.0\.1\.40:43700 +→ 198\.51\.100\.10:5432 +open/, 'whole addresses');
      pane.keys('c');
      let x = await pane.until('the closed rows', (t) => t.includes('▾ 4 closed connections'));
      assert.equal(lines(x).filter((l) => /→ 198\.51\.100\.10:5432 +fin/.test(l)).length, 4);
      assert.ok(rowOf(x, /▾ 4 closed/) < rowOf(x, / fin /), 'under their group line');
      pane.keys('c');
      await pane.until('the group folded', (t) => t.includes('▸ 4 closed connections'));

      const span = (t: string) => Number(/timeline #\d+ .*? \+([\d.]+)s at/.exec(t)?.[1]);
      const whole = span(x);
      pane.keys('+');
      x = await pane.until('zoom in', (t) => t.includes('zoom ×2'));
      assert.ok(Math.abs(span(x) - whole / 2) < 0.2, `${span(x)} s is half of ${whole} s`);
      pane.keys('+');
      await pane.until('zoom ×4', (t) => t.includes('zoom ×4'));
      pane.keys('-', '-');
      x = await pane.until('zoomed out', (t) => !t.includes('zoom ×'));
      assert.equal(span(x), whole);
      await quit(pane);
    } finally {
      pane.close();
    }
  },
);

test('200x60: every column, a detail pane beside the table with the whole evidence', { skip: noTmux, timeout: 60_000 }, async () => {
  const { pane, screen: s } = await open(200, 60);
  try {
    assert.match(s, /# client +→ server +state +age +idle +ka s\/a +risk \/ verdict/);
    assert.match(s, /\[2001:db8:4000::1:77\]:43712 → \[2001:db8::10\]:5432 +open +\d+m\d+s +\d+s +0\/0 +ok/);
    assert.match(s, /10\.0\.1\.30:43690 +→ 198\.51\.100\.10:5432 +reset \(client\) +30s +- +1\/0 +middlebox RST \(0\.95\)/);
    assert.match(s, /connections 11 \(6 open\) +at risk 3 +resets: middlebox 1 +peer 0 +local-stack 0 +unknown 0 +packets 177/);
    pane.keys('Down', 'Down', 'Down', 'Enter');
    const d = await pane.until('the detail pane', (x) => /detail #\d+/.test(x));
    assert.match(d, /c→s /, 'the timeline stays on screen');
    assert.match(boxText(d), /\[seq, weak\] the RST's sequence number is exactly the client's next one/, 'the last evidence item');
    await quit(pane);
  } finally {
    pane.close();
  }
});

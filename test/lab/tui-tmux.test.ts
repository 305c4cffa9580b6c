import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { REPO } from '../helpers/run-kad.js';
import { labSkip } from '../helpers/lab-gate.js';

/**
 * End to end in a real terminal emulator: tmux runs `kad tui` in a detached
 * 160×48 pane, the test types keys with send-keys and reads the screen with
 * capture-pane. The session lives on its own tmux socket (-L), so the test
 * neither sees nor disturbs anyone else's tmux, and starts its server with
 * this process's environment.
 */
const noTmux = labSkip(import.meta.url, { tools: ['tmux'] });
const SOCKET = `kad-tui-${process.pid}`;
const SESSION = `kad-tui-${process.pid}`;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
// eslint-disable-next-line no-restricted-syntax -- a few key names, never data-sized
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);
const literal = (text: string) => tmux('send-keys', '-t', SESSION, '-l', text);

async function until(what: string, cond: (s: string) => boolean, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  for (;;) {
    s = screen();
    if (cond(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('kad tui in tmux: replay the forged-RST capture, keys, quit restores the terminal', { skip: noTmux, timeout: 60_000 }, async () => {
  const cmd = "sh -c 'node bin/kad tui captures/fw-reset-keepalive.server.pcap --speed 0; echo EXIT=$?; sleep 60'";
  tmux('new-session', '-d', '-x', '160', '-y', '48', '-s', SESSION, '-c', REPO, '-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8', cmd);
  try {
    // The replay is over when the header says so and the final snapshot is on screen.
    let s = await until('the replay to finish', (x) => x.includes('[ended]') && x.includes('source ended'));

    // Header: source, counts, resets by cause, inferred idle timeout of the path.
    assert.match(s, /kad replay captures\/fw-reset-keepalive\.server\.pcap at max speed +\[ended\]/);
    assert.match(s, /connections 1 \(0 open\) +at risk 0 +resets: middlebox 1 +peer 0 +local-stack 0 +unknown 0/);
    assert.match(s, /idle timeout: 198\.51\.100\.10:5432 T ≤ 5\.\d\d s \(1 died, 0 survived\)/);
    // The connection row with its ended kind and verdict.
    assert.match(s, /1 192\.0\.2\.10:\d+ +→ 198\.51\.100\.10:5432 +reset \(client\) +5\.\d\ds +- +1\/0 middlebox RST \(0\.95\)/);
    // Timeline: handshake, idle, the server's keepalive probe answered by the RST; T marker; legend.
    assert.match(s, /c→s S-+R/);
    assert.match(s, /s→c S-+K/);
    assert.match(s, /\n│ +T +│/);
    assert.match(s, /K keepalive probe/);
    assert.match(s, /R rst \(red middlebox, green peer\/local-stack, yellow unknown\)/);
    // Event log: the new reset with its attribution.
    assert.match(s, /#1 RST frame \d+ \(claims the client\): middlebox, confidence 0\.95; answered the keepalive/);
    assert.doesNotMatch(s, /evidence|\[ttl,/);

    keys('Down');
    keys('Enter');
    s = await until('the detail pane', (x) => x.includes('detail #1'));
    assert.match(s, /verdict: Reset by a middlebox/);
    assert.match(s, /\[ttl, strong → middlebox\] RST TTL 64 = 0 hops away, but the client's packets arrive with TTL 63/);
    assert.match(s, /recommendation: TCP keepalive time \d+ s/);

    keys('s');
    s = await until('sort by idle', (x) => x.includes('sort: idle'));
    keys('/');
    await until('the filter prompt', (x) => x.includes('filter: _'));
    literal('5432');
    keys('Enter');
    s = await until('the filter', (x) => x.includes('filter "5432"'));
    assert.match(s, /192\.0\.2\.10:\d+ +→ 198\.51\.100\.10:5432/);
    keys('/');
    literal('10.9.9.9');
    keys('Enter');
    await until('an empty filter result', (x) => x.includes('no connection matches the filter'));
    keys('Escape');
    await until('the filter cleared', (x) => !x.includes('filter "') && /198\.51\.100\.10:5432 +reset/.test(x));

    keys('?');
    s = await until('the help overlay', (x) => x.includes('this help (any key closes it)'));
    assert.match(s, /q, Ctrl-C +quit/);
    assert.match(s, /s +sort by risk → idle → age/);

    keys('q');
    s = await until('the process to exit', (x) => x.includes('EXIT=0'));
    // Back on the normal screen: none of the UI is left behind.
    assert.doesNotMatch(s, /connections|timeline|middlebox|[┌│└]/);
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', SESSION]);
  }
});

test('kad tui in tmux: Ctrl-C during a slow replay quits and restores the terminal', { skip: noTmux, timeout: 60_000 }, async () => {
  const session = `${SESSION}-c`;
  const cmd = "sh -c 'node bin/kad tui captures/keepalive-survives.server.pcap --speed 1; echo EXIT=$?; sleep 60'";
  tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', session, '-c', REPO, '-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8', cmd);
  try {
    const shot = () => tmux('capture-pane', '-p', '-t', session);
    const end = Date.now() + 15_000;
    while (!shot().includes('[running]')) {
      if (Date.now() > end) throw new Error(`no running replay:\n${shot()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    tmux('send-keys', '-t', session, 'p');
    const paused = Date.now() + 5000;
    while (!shot().includes('[paused]')) {
      if (Date.now() > paused) throw new Error(`not paused:\n${shot()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    tmux('send-keys', '-t', session, 'C-c');
    const quit = Date.now() + 5000;
    while (!shot().includes('EXIT=0')) {
      if (Date.now() > quit) throw new Error(`still running after Ctrl-C:\n${shot()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.doesNotMatch(shot(), /\[paused\]|timeline|[┌│└]/);
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]);
  }
});

test('kad tui in tmux: SIGTERM restores the terminal and exits 143', { skip: noTmux, timeout: 60_000 }, async () => {
  const session = `${SESSION}-t`;
  const cmd = "sh -c 'node bin/kad tui captures/keepalive-survives.server.pcap --speed 1; echo EXIT=$?; sleep 60'";
  tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', session, '-c', REPO, '-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8', cmd);
  try {
    const shot = () => tmux('capture-pane', '-p', '-t', session);
    const end = Date.now() + 15_000;
    while (!shot().includes('[running]')) {
      if (Date.now() > end) throw new Error(`no running replay:\n${shot()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The pane runs sh; its one child is the node process this test started.
    const shPid = tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim();
    const child = spawnSync('pgrep', ['-P', shPid], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    assert.ok(child, 'node process found');
    process.kill(Number(child), 'SIGTERM');
    const quit = Date.now() + 5000;
    while (!shot().includes('EXIT=143')) {
      if (Date.now() > quit) throw new Error(`no exit after SIGTERM:\n${shot()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.doesNotMatch(shot(), /timeline|[┌│└]/);
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]);
  }
});

/**
 * Issue 19's proof: at-risk warns before the middlebox forgets the flow.
 * client → firewall (conntrack forgets idle flows after 8 s, then answers
 * with `reject with tcp reset`) → server whose sockets probe after 12 s
 * idle (TCP_KEEPIDLE 12: too late). Two `kad watch --sockets --metrics` run
 * in the server's namespace on the same traffic:
 *  A, told nothing: the first wave's connections are "unknown" (no at-risk
 *    line, however long they idle before they die); their deaths bracket
 *    T ≤ 12 s, and the second wave is flagged before 8 s of idle;
 *  B, given the bracket of a kad probe result (--timeout-from): the first
 *    wave is flagged before 8 s of idle.
 * Each time, the at-risk lines, the stats line's atRisk and the
 * kad_connections_at_risk gauge count the same connections; and `kad live`
 * (the TUI, in tmux), given what B is given, shows that count in its header
 * and on as many rows.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { sleep } from '../../lab/exec.js';
import { applyFirewall } from '../../lab/firewall.js';
import { ADDR, createTopology, IFACE, newLabPrefix } from '../../lab/topology.js';
import { KAD } from '../helpers/run-kad.js';
import { labSkip } from '../helpers/lab-gate.js';
import { tmuxSession } from '../helpers/tmux-session.js';

const skip = labSkip(import.meta.url, { lab: true });

const FIREWALL_S = 8;
const KEEPIDLE_S = 12;
const WAVE = 3;
const PORT = 5432;
const SERVER = ADDR[4].server;
const PATH = `${SERVER}:${PORT}`;

/** Echo server whose accepted sockets probe after KEEPIDLE_S idle (setKeepAlive sets TCP_KEEPIDLE). */
const SERVER_JS = `
const net = require('node:net');
net.createServer((s) => { s.setKeepAlive(true, ${KEEPIDLE_S * 1000}); s.on('data', (d) => s.write(d)); s.on('error', () => {}); })
  .listen(${PORT}, '${SERVER}', () => console.log('listening'));`;

/** Opens N connections per stdin line "N", each says hello once and then stays idle (no keepalive of its own). */
const CLIENT_JS = `
const net = require('node:net');
const keep = [];
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  for (let i = 0; i < Number(l); i++) {
    const s = net.connect(${PORT}, '${SERVER}', () => s.write('hello\\n'));
    s.on('data', () => console.log('echo'));
    s.on('error', () => {});
    keep.push(s);
  }
});`;

interface Line {
  type: string;
  [k: string]: unknown;
}

function inNs(ns: string, args: string[], cleanup: Cleanup, what: string): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  // `ip netns exec` execs the command: this PID is the process itself, and only it is signalled.
  cleanup.add(
    `stop ${what}`,
    async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    () => void child.kill('SIGKILL'),
  );
  return child;
}

function watcher(ns: string, extra: string[], cleanup: Cleanup, name: string) {
  const child = inNs(
    ns,
    [
      process.execPath,
      KAD,
      'watch',
      '-i',
      IFACE.server,
      '--sockets',
      '--refresh',
      '250',
      '--stats-interval',
      '250',
      '--metrics',
      '127.0.0.1:0',
      ...extra,
    ],
    cleanup,
    `kad watch ${name}`,
  );
  const lines: Line[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Line));
  const waitFor = async (pred: (ls: Line[]) => boolean, ms: number, what: string): Promise<void> => {
    const until = Date.now() + ms;
    while (!pred(lines)) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`${name}: no ${what} in ${ms} ms; stderr: ${stderr}`);
      await sleep(50);
    }
  };
  const stats = (): Line | undefined => lines.filter((l) => l.type === 'stats').at(-1);
  const url = (): string => String(lines.find((l) => l.type === 'metrics')?.url);
  return { lines, waitFor, stats, url, stderr: () => stderr };
}

/** `kad live` in a detached tmux on a socket of its own; the screen as text. */
function tui(ns: string, extra: string[], cleanup: Cleanup) {
  const cmd = ['ip', 'netns', 'exec', ns, process.execPath, KAD, 'live', '-i', IFACE.server, ...extra].join(' ');
  const session = tmuxSession(`kad-atrisk-${process.pid}`, `${cmd}; sleep 60`, { cols: 160, rows: 48 });
  cleanup.add(
    'stop the tmux server',
    async () => session.kill(),
    () => session.kill(),
  );
  return session;
}

/** The gauge, scraped from inside the namespace where kad serves it on the loopback. */
function gauge(ns: string, url: string): number {
  const js =
    'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(String(e)); process.exit(1); })';
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', js, url], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\n\n|NaN|Nan/, 'no blank lines, no NaN');
  const m = /^kad_connections_at_risk (\S+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m[1]);
}

const atRiskLines = (ls: Line[]): Line[] => ls.filter((l) => l.type === 'at-risk');

test(
  'at-risk fires before an 8 s firewall forgets the flow: unknown first, then bracketed or given; lines, stats and gauge agree',
  { skip, timeout: 60_000 },
  async (t) => {
    const cleanup = new Cleanup();
    const prefix = newLabPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'kad-at-risk-lab-'));
    const started = Date.now();
    try {
      const topo = await createTopology(prefix, cleanup);
      await applyFirewall(topo, { idleTimeoutS: FIREWALL_S, action: 'reject', nat: false });
      // What `kad probe --json` would have measured on this path: 6 s survived, 9 s died.
      const probe = join(dir, 'probe.json');
      writeFileSync(
        probe,
        JSON.stringify({ tool: 'keepalive-doctor', target: { address: SERVER, port: PORT }, result: { survivedMaxS: 6, diedMinS: 9 } }),
      );

      const server = inNs(topo.ns.server, [process.execPath, '-e', SERVER_JS], cleanup, 'server');
      await new Promise<void>((resolve) => createInterface({ input: server.stdout! }).once('line', () => resolve()));
      const a = watcher(topo.ns.server, [], cleanup, 'A (nothing given)');
      const b = watcher(topo.ns.server, ['--timeout-from', probe], cleanup, 'B (--timeout-from)');
      const c = tui(topo.ns.server, ['--timeout-from', probe], cleanup);
      await a.waitFor((ls) => ls.some((l) => l.type === 'stats'), 15_000, 'first stats line');
      await b.waitFor((ls) => ls.some((l) => l.type === 'stats'), 15_000, 'first stats line');
      for (let i = 0; i < 150 && !/connections 0 /.test(c.screen()); i++) await sleep(100);
      const client = inNs(topo.ns.client, [process.execPath, '-e', CLIENT_JS], cleanup, 'client');
      let echoes = 0;
      createInterface({ input: client.stdout! }).on('line', () => echoes++);

      // Wave 1.
      client.stdin!.write(`${WAVE}\n`);
      while (echoes < WAVE) await sleep(20);
      const wave1 = Date.now();

      // B knows the bracket: the 12 s probe is too late for T ≤ 9 s, flagged once a fifth of 9 s has passed.
      await b.waitFor((ls) => atRiskLines(ls).length >= WAVE, (FIREWALL_S - 2) * 1000, `${WAVE} at-risk lines for wave 1`);
      const flaggedB = (Date.now() - wave1) / 1000;
      for (const l of atRiskLines(b.lines)) {
        assert.equal(l.timeoutState, 'given', JSON.stringify(l));
        assert.equal(l.risk, 'late-keepalive');
        assert.ok(Number(l.idleS) < FIREWALL_S, `flagged at ${String(l.idleS)} s idle`);
        // Read from the socket itself (kad-sockopt, as root), not inferred from its timer.
        assert.deepEqual(l.keepaliveOptions, { keepalive: true, idleS: KEEPIDLE_S, intervalS: 1, count: 10, userTimeoutMs: 0 });
        assert.match(
          String(l.keepaliveVsPath),
          new RegExp(`first probe comes after ${KEEPIDLE_S} s of silence .*; the path forgets flows after ≤ 9 s: too late`),
        );
      }
      await sleep(600); // a stats line judged after the last at-risk line
      const statsB = b.stats()!;
      assert.equal(gauge(topo.ns.server, b.url()), WAVE, 'gauge B');
      assert.equal(statsB.atRisk, WAVE, 'stats B');
      assert.deepEqual(statsB.timeouts, { unknown: 0, bracketed: 0, given: WAVE });
      // The TUI, told the same, counts the same (its header) and flags as many rows.
      let screen = '';
      for (let i = 0; i < 40 && !new RegExp(`at risk ${WAVE} `).test(screen); i++) {
        await sleep(100);
        screen = c.screen();
      }
      assert.match(screen, new RegExp(`at risk ${WAVE} `), screen);
      // Rows of the connection table only: the events pane may also log the socket poll's "AT RISK socket a ↔ b" lines.
      assert.equal((screen.match(/^│\s+\d+ \S+ → \S+ .*AT RISK/gm) ?? []).length, WAVE, screen);

      // A knows nothing yet: unknown, and nothing flagged (they idle far less than the common defaults).
      const statsA = a.stats()!;
      assert.deepEqual(statsA.timeouts, { unknown: WAVE, bracketed: 0, given: 0 });
      assert.equal(statsA.atRisk, 0);
      assert.equal(atRiskLines(a.lines).length, 0);
      assert.equal(gauge(topo.ns.server, a.url()), 0);
      assert.ok((Date.now() - wave1) / 1000 < FIREWALL_S, 'all of this before the firewall forgot wave 1');

      // Wave 1 dies at the server's 12 s probe: the firewall's RSTs bracket T ≤ 12 s for A.
      await a.waitFor(
        (ls) => ls.filter((l) => l.type === 'reset' && l.attribution === 'middlebox').length >= WAVE,
        10_000,
        'middlebox resets',
      );
      assert.equal(atRiskLines(a.lines).length, 0, 'A never flagged the unknown wave');

      // Wave 2: A flags it from the bracket (its probe at 12 s is at T's upper bound: late), before 8 s of idle.
      client.stdin!.write(`${WAVE}\n`);
      while (echoes < 2 * WAVE) await sleep(20);
      const wave2 = Date.now();
      await a.waitFor((ls) => atRiskLines(ls).length >= WAVE, (FIREWALL_S - 2) * 1000, `${WAVE} at-risk lines for wave 2`);
      const flaggedA = (Date.now() - wave2) / 1000;
      for (const l of atRiskLines(a.lines)) {
        assert.equal(l.timeoutState, 'bracketed', JSON.stringify(l));
        assert.equal(l.timeoutHighS !== null && Number(l.timeoutHighS) >= KEEPIDLE_S - 0.5, true, `upper bound ${String(l.timeoutHighS)}`);
        assert.equal(l.path, PATH);
        assert.equal(l.risk, 'late-keepalive');
        assert.ok(Number(l.idleS) < FIREWALL_S, `flagged at ${String(l.idleS)} s idle`);
      }
      await sleep(600);
      const statsA2 = a.stats()!;
      assert.equal(gauge(topo.ns.server, a.url()), WAVE, 'gauge A');
      assert.equal(statsA2.atRisk, WAVE, 'stats A');
      assert.deepEqual(statsA2.timeouts, { unknown: 0, bracketed: WAVE, given: 0 });
      assert.ok((Date.now() - wave2) / 1000 < FIREWALL_S, 'all of this before the firewall forgot wave 2');
      t.diagnostic(
        `flagged after ${flaggedB.toFixed(1)} s (given) and ${flaggedA.toFixed(1)} s (bracketed); ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
      );
    } finally {
      const failures = await cleanup.run();
      rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(failures, [], 'lab cleanup');
      const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.startsWith(`${prefix}-`));
      assert.deepEqual(left, [], 'namespaces left behind');
    }
  },
);

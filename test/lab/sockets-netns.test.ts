/**
 * The socket table and its join against real sockets, in a namespace of
 * our own: a server process and a client process with two idle
 * connections over the namespace's loopback, one with keepalive
 * (setKeepAlive(true, 5000)) and one without. Read from inside the
 * namespace through ss and through /proc, and watched by
 * `kad watch -i lo --sockets --idle-timeout 10`, which captures the same
 * loopback and so joins each socket to its captured connection.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AT_RISK_FRACTION } from '../../src/sockets/at-risk.js';
import { sockdiagPath } from '../../src/sockets/read-sockets.js';
import type { SocketInfo } from '../../src/sockets/socket-types.js';
import { KAD } from '../helpers/run-kad.js';
import { labSkip } from '../helpers/lab-gate.js';

const PORT = 7500;
const TIMEOUT_S = 10;
/** Past AT_RISK_FRACTION (80 %) of TIMEOUT_S, with room for a slow machine. */
const IDLE_WAIT_MS = 9000;

const SERVER_JS = `
const net = require('node:net');
const keep = [];
net.createServer((s) => keep.push(s)).listen(${PORT}, '127.0.0.1', () => process.stdout.write(JSON.stringify({ pid: process.pid }) + '\\n'));
`;

const CLIENT_JS = `
const net = require('node:net');
const dial = () => new Promise((resolve) => { const s = net.connect(${PORT}, '127.0.0.1', () => resolve(s)); });
(async () => {
  const withKa = await dial();
  withKa.setKeepAlive(true, 5000);
  const without = await dial();
  process.stdout.write(JSON.stringify({ pid: process.pid, ka: withKa.localPort, noKa: without.localPort }) + '\\n');
})();
`;

const READ_SOCKETS = fileURLToPath(new URL('../../src/sockets/read-sockets.js', import.meta.url));
const ANNOTATE = fileURLToPath(new URL('../../src/sockets/annotate-sockets.js', import.meta.url));
const OWNERS = fileURLToPath(new URL('../../src/sockets/socket-owners.js', import.meta.url));
// The readers resolve no owners (that is what made ss -p slow at scale); fillOwners does, as kad watch and live do for the rows they show.
const READER_JS = `
(async () => {
  const { readSockets } = await import(${JSON.stringify(READ_SOCKETS)});
  const { annotateSockets } = await import(${JSON.stringify(ANNOTATE)});
  const { fillOwners } = await import(${JSON.stringify(OWNERS)});
  const ss = await readSockets({ from: 'ss' });
  annotateSockets(ss.sockets, null, { idleTimeoutS: ${TIMEOUT_S} });
  fillOwners(ss.sockets);
  const proc = await readSockets({ procOnly: true });
  annotateSockets(proc.sockets, null, { idleTimeoutS: ${TIMEOUT_S} });
  fillOwners(proc.sockets);
  process.stdout.write(JSON.stringify({ ss, proc }));
})();
`;

interface Line {
  type: string;
  [k: string]: unknown;
}

/** A child inside the namespace whose stdout lines we collect; ended by PID in finally. */
class NsChild {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }
  static start(ns: string, args: string[]): NsChild {
    return new NsChild(spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  async waitLine(pred: (l: string) => boolean, ms: number, what: string): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.join('')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

const skip = labSkip(import.meta.url, { root: 'a network namespace, and a live capture for the watch part', tools: ['ip'] });

test(
  'socket table in a namespace: keepalive on/off, owners, idle clocks, at risk, joined to the capture',
  { skip, timeout: 90_000 },
  async (t) => {
    const ns = `kad-sock-${process.pid}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, 'ip netns add');
    const children: NsChild[] = [];
    try {
      assert.equal(spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']).status, 0);
      const server = NsChild.start(ns, [process.execPath, '-e', SERVER_JS]);
      children.push(server);
      const serverPid = (JSON.parse(await server.waitLine(() => true, 10_000, 'the server')) as { pid: number }).pid;

      const watch = NsChild.start(ns, [
        process.execPath,
        KAD,
        'watch',
        '-i',
        'lo',
        '--sockets',
        '--idle-timeout',
        String(TIMEOUT_S),
        '--refresh',
        '500',
        '--stats-interval',
        '500',
      ]);
      children.push(watch);
      // The first stats line comes from a running model, so the capture is open: it will see the handshakes.
      await watch.waitLine((l) => l.includes('"type":"stats"'), 15_000, 'kad watch to start capturing');

      const client = NsChild.start(ns, [process.execPath, '-e', CLIENT_JS]);
      children.push(client);
      const c = JSON.parse(await client.waitLine(() => true, 10_000, 'the client')) as { pid: number; ka: number; noKa: number };
      await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));

      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', READER_JS], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      const { ss, proc } = JSON.parse(r.stdout) as {
        ss: { source: string; sockets: SocketInfo[] };
        proc: { source: string; sockets: SocketInfo[] };
      };
      watch.stop('SIGINT');
      const watchExit = await watch.exited;

      const find = (list: SocketInfo[], local: number, peer: number): SocketInfo => {
        const s = list.find((x) => x.local.port === local && x.peer.port === peer && x.state === 'ESTABLISHED');
        assert.ok(
          s,
          `no ESTABLISHED socket ${local} -> ${peer} in ${JSON.stringify(list.map((x) => [x.local.port, x.peer.port, x.state]))}`,
        );
        return s;
      };

      await t.test('ss: timers, owners, idle, at risk', () => {
        assert.equal(ss.source, 'ss');
        const kaClient = find(ss.sockets, c.ka, PORT);
        const noKaClient = find(ss.sockets, c.noKa, PORT);
        const kaServer = find(ss.sockets, PORT, c.ka);
        const noKaServer = find(ss.sockets, PORT, c.noKa);
        assert.equal(kaClient.keepaliveTimer.state, 'on');
        assert.ok(kaClient.keepaliveTimer.state === 'on' && kaClient.keepaliveTimer.nextProbeS <= 5, 'TCP_KEEPIDLE 5 s');
        assert.equal(kaClient.probesOut, 0, 'the server answers every probe');
        for (const s of [noKaClient, kaServer, noKaServer]) assert.deepEqual(s.keepaliveTimer, { state: 'off' });
        for (const s of [kaClient, noKaClient]) assert.deepEqual([s.pid, s.process], [c.pid, 'node']);
        for (const s of [kaServer, noKaServer]) assert.deepEqual([s.pid, s.process], [serverPid, 'node']);
        assert.ok(
          noKaClient.idleMs !== null && noKaClient.idleMs >= AT_RISK_FRACTION * TIMEOUT_S * 1000,
          `idle ${noKaClient.idleMs} ms after ${IDLE_WAIT_MS} ms of silence`,
        );
        assert.equal(noKaClient.idleFrom, 'socket');
        assert.ok(kaClient.idleMs !== null && kaClient.idleMs < noKaClient.idleMs, 'answered probes count as traffic (lastack)');
        assert.equal(noKaClient.atRisk, true);
        assert.match(noKaClient.riskReason!, /of the 10\.0 s idle timeout given with --idle-timeout, and no keepalive timer/);
        assert.equal(noKaServer.atRisk, true);
        assert.equal(kaClient.atRisk, false, 'its next probe comes before the 10 s timeout');
      });

      await t.test('/proc fallback: timers and owners, no idle clock', () => {
        assert.equal(proc.source, 'proc');
        const kaClient = find(proc.sockets, c.ka, PORT);
        const noKaClient = find(proc.sockets, c.noKa, PORT);
        assert.equal(kaClient.keepaliveTimer.state, 'on');
        assert.deepEqual(noKaClient.keepaliveTimer, { state: 'off' });
        assert.deepEqual([kaClient.pid, noKaClient.pid, find(proc.sockets, PORT, c.ka).pid], [c.pid, c.pid, serverPid]);
        assert.equal(noKaClient.idleMs, null);
        assert.equal(noKaClient.atRisk, false, 'no idle clock and no capture: nothing to judge');
        assert.equal(kaClient.inode, find(ss.sockets, c.ka, PORT).inode);
      });

      await t.test('kad watch --sockets: at-risk lines for the connection without keepalive only', () => {
        assert.equal(watchExit, 0, watch.stderr.join(''));
        const lines = watch.lines.map((l) => JSON.parse(l) as Line);
        const risky = lines.filter((l) => l.type === 'at-risk');
        const ports = (l: Line): [number, number] => [Number(String(l.local).split(':').pop()), Number(String(l.peer).split(':').pop())];
        const flagged = risky
          .map(ports)
          .map(([a, b]) => `${a}->${b}`)
          .sort();
        assert.deepEqual(flagged, [`${PORT}->${c.noKa}`, `${c.noKa}->${PORT}`].sort(), 'each end of the keepalive-less connection, once');
        for (const l of risky) {
          assert.equal(l.timeoutS, TIMEOUT_S);
          assert.equal(l.timeoutSource, 'user');
          assert.equal(l.keepalive, 'off');
          assert.ok(typeof l.conn === 'number', 'joined to the captured connection');
          assert.equal(l.process, 'node');
          assert.ok(l.pid === c.pid || l.pid === serverPid);
          assert.match(String(l.reason), /no keepalive timer/);
        }
        const final = lines.filter((l) => l.type === 'stats').pop()!;
        assert.equal(final.final, true);
        assert.equal(final.connections, 2);
        const sockets = final.sockets as Record<string, unknown>;
        // sock_diag when scripts/install.sh has built kad-sockdiag, else the ss fallback, which says why.
        assert.equal(sockets.source, existsSync(sockdiagPath()) ? 'sock_diag' : 'ss', String(sockets.fallbackReason));
        assert.deepEqual([sockets.count, sockets.atRisk], [4, 2]);
        assert.equal(typeof sockets.refreshMs, 'number');
        assert.equal(typeof sockets.skipped, 'number');
        assert.ok(typeof sockets.intervalMs === 'number' && sockets.intervalMs >= 500, 'never below --refresh');
        assert.equal(final.atRisk, 1, 'both ends of one connection are one connection at risk');
      });
    } finally {
      for (const ch of children.reverse()) {
        ch.stop('SIGKILL');
        await ch.exited;
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.ok(!left.split('\n').some((l) => l.startsWith(`${ns} `) || l === ns), 'namespace deleted');
  },
);

/**
 * `kad watch` and `kad live` where they need root: refused for an
 * unprivileged user, a filter libpcap rejects (it compiles filters only after
 * opening the device), and a live capture ended by SIGTERM. The rest of the
 * command line is in test/watch-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { labSkip } from '../helpers/lab-gate.js';
import { KAD, runKad } from '../helpers/run-kad.js';

const PRIVILEGE_LINE = (cmd: string): string =>
  `kad: ${cmd} needs root or CAP_NET_RAW to capture: run as root, or give the capability to a copy of node that only kad runs, or to a systemd unit (README: "Capture without root")\n`;

interface Line {
  type: string;
  [k: string]: unknown;
}

function assertOneLine(stderr: string, what: string): void {
  assert.equal(stderr.split('\n').filter(Boolean).length, 1, `${what}: exactly one line on stderr, got:\n${stderr}`);
  assert.ok(!/\n\s+at /.test(stderr) && !stderr.includes('Error:'), `${what}: no stack trace`);
}

const noRoot = labSkip(import.meta.url, { root: 'to switch to an unprivileged user and to capture live', tools: ['setpriv'] });

/** Whether uid 65534 can run this checkout's kad at all (a checkout under /root cannot be read by nobody). */
function nobodyCanRun(): boolean {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, KAD, '--version'], {
    encoding: 'utf8',
  });
  return r.status === 0;
}

const unprivSkip = noRoot || (!nobodyCanRun() && 'uid 65534 cannot read this checkout');

test('without privileges: exit 77 and exactly one line with the fix', { skip: unprivSkip }, () => {
  for (const cmd of ['watch', 'live']) {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, KAD, cmd, '-i', 'lo'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 77, `kad ${cmd}: ${r.stderr}`);
    assert.equal(r.stderr, PRIVILEGE_LINE(`kad ${cmd}`));
    assertOneLine(r.stderr, `kad ${cmd} unprivileged`);
    assert.equal(r.stdout, '');
  }
});

test('a bad capture filter: one line naming the filter', { skip: noRoot }, () => {
  const r = runKad(['watch', '-i', 'lo', '-f', 'tcp port']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kad: bad capture filter "tcp port": syntax error (syntax: man pcap-filter)\n');
});

test(
  'a live kad watch ends cleanly on SIGTERM: final stats line, exit 0',
  { skip: noRoot || labSkip(import.meta.url, { tools: ['ip'] }), timeout: 30_000 },
  async (t) => {
    const ns = `kad-watchsig-${process.pid}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
    t.after(() => void spawnSync('ip', ['netns', 'del', ns]));
    assert.equal(spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']).status, 0);
    // No -i: the namespace has no default route, so kad falls back to 'any'.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, KAD, 'watch', '--refresh', '100', '--stats-interval', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const lines: Line[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => {
          lines.push(JSON.parse(l) as Line);
          if (lines.length === 1) resolve();
        });
        void exited.then(() => reject(new Error(`kad watch exited early: ${err}`)));
      });
      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    assert.equal(err, '');
    assert.match(String(lines[0]!.source), /^any \(no default route\), libpcap via cap, arrival timestamps, filter "tcp"$/);
    const last = lines.at(-1)!;
    assert.equal(last.type, 'stats');
    assert.equal(last.final, true);
  },
);

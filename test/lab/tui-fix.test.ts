/**
 * `F` in the TUI on a live connection: in a namespace of our own, a server
 * holds a loopback connection without keepalive; `kad live -i lo
 * --idle-timeout 350s` in tmux shows it, `F` shows kad fix's dry run for
 * its socket (nothing changes: read back), `y` applies it, and the
 * socket's options, read back by kad fix, are the recommendation's.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { sockoptPath } from '../../src/sockets/sockopt-helper.js';
import { labSkip } from '../helpers/lab-gate.js';
import { KAD, REPO } from '../helpers/run-kad.js';
import { tmuxSession } from '../helpers/tmux-session.js';

const SERVER_PY = `
import os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', 7611)); s.listen(4)
c = socket.create_connection(('127.0.0.1', 7611)); a, _ = s.accept()
c.sendall(b'hi'); a.recv(10); a.sendall(b'ok'); c.recv(10)
print(os.getpid(), flush=True)
time.sleep(120)
`;

const skip =
  labSkip(import.meta.url, { root: 'a network namespace, a live capture and pidfd_getfd', tools: ['ip', 'tmux', 'python3'] }) ||
  (existsSync(sockoptPath()) ? false : 'needs native/sockopt/kad-sockopt (make -C native/sockopt)');

test("F in kad live: kad fix's dry run for the selected socket, y applies it", { skip, timeout: 90_000 }, async () => {
  const ns = `kad-tuifix-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'kad-tuifix-'));
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  let server: ReturnType<typeof spawn> | null = null;
  let session: ReturnType<typeof tmuxSession> | null = null;
  try {
    // kad first, so that it sees the handshake.
    const cmd = `ip netns exec ${ns} ${process.execPath} ${KAD} live -i lo --idle-timeout 350s; sleep 60`;
    session = tmuxSession(`kad-tuifix-${process.pid}`, cmd, { cols: 160, rows: 48 }, dir);
    const { until, keys } = session;
    await until('kad live', (s) => s.includes('connections 0'));
    server = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', SERVER_PY], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = Number(await new Promise<string>((resolve) => createInterface({ input: server!.stdout! }).once('line', resolve)));
    await until('the connection with its socket', (s) => /127\.0\.0\.1:\d+ +→ 127\.0\.0\.1:7611/.test(s) && /sockets 2 /.test(s));

    keys('F');
    let s = await until('the dry run', (x) => x.includes('would-change') || x.includes('kad fix:'));
    assert.match(s, /1 TCP socket selected \(dry run, nothing changed/);
    assert.match(s, /off \(7200\/75\/9\) +on \d+\/\d+\/\d+/);
    assert.match(s, /for T = 350 s \(--idle-timeout\); y applies it/);
    const read = (): { before: { keepalive: boolean; idleS: number } }[] => {
      const r = spawnSync(process.execPath, [KAD, 'fix', '--pid', String(pid), '--port', '7611', '--json'], {
        encoding: 'utf8',
        cwd: REPO,
      });
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { rows: { before: { keepalive: boolean; idleS: number } }[] }).rows;
    };
    assert.ok(
      read().every((r) => !r.before.keepalive),
      'the dry run changed nothing',
    );

    keys('y');
    s = await until('the change', (x) => x.includes('(applied)') || x.includes('kad fix: not'));
    assert.match(s, /1 changed/);
    assert.match(s, /what changed is in kad-fix-\d+-.*\.json/);
    const after = read();
    // One end of the loopback connection was selected and changed; the other is as it was.
    assert.equal(after.filter((r) => r.before.keepalive).length, 1, JSON.stringify(after));
    assert.ok(after.some((r) => r.before.keepalive && r.before.idleS < 350));
  } finally {
    session?.kill();
    if (server?.pid) server.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The proof for `kad fix`: in the firewall lab (conntrack forgets an
 * idle flow after 5 s, then answers it with a forged RST), a server holds
 * idle connections without keepalive. A dry run changes nothing (read back);
 * `kad fix --pid SERVER --port 7601 --keepidle 2 --keepintvl 1 --keepcnt 3
 * --apply`, run from the root namespace, turns the server's probes on, so
 * the client's writes 10 s later get answers, while the control connection
 * on port 7602, left alone, is reset. `--revert` puts the old values back.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { applyFirewall } from '../../lab/firewall.js';
import { ADDR, createTopology, newLabPrefix, type Topology } from '../../lab/topology.js';
import { sockoptPath } from '../../src/sockets/sockopt-helper.js';
import { labSkip } from '../helpers/lab-gate.js';
import { KAD } from '../helpers/run-kad.js';

const SERVER = ADDR[4].server;
const FIXED_PORT = 7601;
const CONTROL_PORT = 7602;

/** Echoes every line on both ports; prints its PID once it listens. */
const SERVER_PY = `
import os, socket, threading
def echo(c):
    try:
        while True:
            d = c.recv(100)
            if not d: return
            c.sendall(d)
    except OSError: pass
def serve(s):
    while True:
        c, _ = s.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
for port in (${FIXED_PORT}, ${CONTROL_PORT}):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('${SERVER}', port)); s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print(os.getpid(), flush=True)
threading.Event().wait()
`;

/**
 * Three connections to the fixed port and one to the control port; a line
 * on stdin: one more echo on each; the next line ends it (the connections
 * stay open until then, for --revert).
 */
const CLIENT_PY = `
import json, socket, sys
conns = [socket.create_connection(('${SERVER}', p)) for p in (${FIXED_PORT}, ${FIXED_PORT}, ${FIXED_PORT}, ${CONTROL_PORT})]
for c in conns:
    c.sendall(b'hi'); c.recv(100)
print('ready', flush=True)
sys.stdin.readline()
out = []
for c in conns:
    port = c.getpeername()[1]
    try:
        c.settimeout(5); c.sendall(b'again')
        out.append({'port': port, 'result': 'echo' if c.recv(100) == b'again' else 'closed'})
    except ConnectionResetError: out.append({'port': port, 'result': 'reset'})
    except socket.timeout: out.append({'port': port, 'result': 'timeout'})
print(json.dumps(out), flush=True)
sys.stdin.readline()
`;

const skip =
  labSkip(import.meta.url, { lab: true, tools: ['python3'] }) ||
  (existsSync(sockoptPath()) ? false : 'needs native/sockopt/kad-sockopt (make -C native/sockopt)');

interface Row {
  fd: number;
  local: string;
  remote: string;
  status: string;
  before: { keepalive: boolean; idleS: number; intervalS: number; count: number } | null;
  after: { keepalive: boolean; idleS: number; intervalS: number; count: number } | null;
}

function kad(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [KAD, ...args], { encoding: 'utf8', timeout: 60_000 });
}

function rows(args: string[]): Row[] {
  const r = kad([...args, '--json']);
  assert.equal(r.status, 0, `kad ${args.join(' ')}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { rows: Row[] }).rows;
}

function firstLine(child: ChildProcessWithoutNullStreams, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line within ${ms} ms`)), ms);
    createInterface({ input: child.stdout }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
}

test(
  'kad fix turns keepalive on in a running server: its connections outlive the firewall timeout, the control is reset, --revert undoes it',
  { skip, timeout: 120_000 },
  async () => {
    const cleanup = new Cleanup();
    const dir = mkdtempSync(join(tmpdir(), 'kad-fix-'));
    let topo: Topology | null = null;
    const start = (ns: string, code: string): ChildProcessWithoutNullStreams => {
      const c = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', code], { stdio: 'pipe' });
      cleanup.add(
        `stop ${c.pid}`,
        async () => void (c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')),
        () => void (c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')),
      );
      return c;
    };
    try {
      topo = await createTopology(newLabPrefix(), cleanup);
      await applyFirewall(topo, { idleTimeoutS: 5, action: 'reject', nat: false });
      const server = start(topo.ns.server, SERVER_PY);
      const pid = Number(await firstLine(server, 10_000));
      const client = start(topo.ns.client, CLIENT_PY);
      assert.equal(await firstLine(client, 10_000), 'ready');
      const fixArgs = ['fix', '--pid', String(pid), '--port', String(FIXED_PORT), '--keepidle', '2', '--keepintvl', '1', '--keepcnt', '3'];

      // A dry run says what would change, and changes nothing.
      const dry = rows(fixArgs);
      assert.equal(dry.length, 3, JSON.stringify(dry));
      assert.ok(dry.every((r) => r.status === 'would-change' && r.before?.keepalive === false && r.after?.keepalive === true));
      assert.ok(
        rows(['fix', '--pid', String(pid)]).every((r) => r.before?.keepalive === false),
        'still off after the dry run',
      );

      const log = join(dir, 'changes.json');
      const applied = rows([...fixArgs, '--apply', '--changes', log]);
      assert.equal(applied.length, 3);
      for (const r of applied) {
        assert.equal(r.status, 'changed', JSON.stringify(r));
        assert.deepEqual(r.after, { keepalive: true, idleS: 2, intervalS: 1, count: 3, userTimeoutMs: 0 });
        assert.ok(r.local.endsWith(`:${FIXED_PORT}`), 'only the selected port');
      }
      // The control connection was read, never changed.
      const all = rows(['fix', '--pid', String(pid)]);
      assert.equal(all.length, 4);
      assert.equal(all.find((r) => r.local.endsWith(`:${CONTROL_PORT}`))?.before?.keepalive, false);

      // Twice the firewall's timeout of silence from the application.
      await new Promise((r) => setTimeout(r, 10_000));
      client.stdin.write('write\n');
      const results = JSON.parse(await firstLine(client, 20_000)) as { port: number; result: string }[];
      assert.deepEqual(
        results.map((r) => `${r.port}:${r.result}`),
        [`${FIXED_PORT}:echo`, `${FIXED_PORT}:echo`, `${FIXED_PORT}:echo`, `${CONTROL_PORT}:reset`],
      );

      const reverted = rows(['fix', '--revert', log]);
      assert.equal(reverted.length, 3);
      assert.ok(
        reverted.every((r) => r.status === 'reverted' && r.after?.keepalive === false && r.after.idleS === 7200),
        JSON.stringify(reverted),
      );
      assert.ok(
        rows(['fix', '--pid', String(pid), '--port', String(FIXED_PORT)]).every(
          (r) => r.before?.keepalive === false && r.before.idleS === 7200,
        ),
        'read back after --revert',
      );
      // A change log is never overwritten.
      const again = kad([...fixArgs, '--apply', '--changes', log]);
      assert.equal(again.status, 2);
      assert.match(again.stderr, /exists: kad fix never overwrites a change log/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      const failures = await cleanup.run();
      assert.deepEqual(failures, [], 'cleanup failed');
      if (topo) {
        const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter((l) => l.startsWith(topo!.prefix));
        assert.deepEqual(left, [], 'namespaces left behind');
      }
    }
  },
);

test('kad fix refuses clearly: an unprivileged user, a process that is gone, a file that is not a change log', { skip }, () => {
  const sleeper = spawn('sleep', ['30']);
  try {
    // As nobody: /proc/PID/fd of another user's process cannot be listed, and pidfd_getfd would say EPERM.
    const asNobody = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, KAD, 'fix', '--pid', String(sleeper.pid)],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(asNobody.status, 77, asNobody.stderr);
    assert.equal(asNobody.stderr.trim().split('\n').length, 1);
    assert.match(asNobody.stderr, /run kad fix as root/);
  } finally {
    sleeper.kill('SIGKILL');
  }
  const gone = kad(['fix', '--pid', '999999999']);
  assert.equal(gone.status, 2);
  assert.equal(gone.stderr.trim(), 'kad: process 999999999 does not exist (it may have exited)');
  const notLog = kad(['fix', '--revert', KAD]);
  assert.equal(notLog.status, 2);
  assert.match(notLog.stderr, /is not JSON/);
  assert.doesNotMatch(gone.stderr + notLog.stderr, /\n\s+at /);
});

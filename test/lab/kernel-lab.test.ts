/**
 * `kad watch --kernel` in the lab server's namespace while lab scenarios play
 * on real kernels: the kernel events and the verdicts against each scenario's
 * ground truth, and the trace instance gone after every run, a SIGKILLed one
 * included (the next run removes it). Events are system-wide, so the client's
 * namespace shows up too, labelled "other"; assertions pick the scenario's own
 * 4-tuple, as other lab tests may run beside this one with the same addresses.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { applyFirewall } from '../../lab/firewall.js';
import { findScenario } from '../../lab/scenarios/index.js';
import { ADDR, createTopology, IFACE, newLabPrefix, type Topology } from '../../lab/topology.js';
import type { ConnectionTruth, LabTruth } from '../../lab/truth.js';
import { hostTracefs, INSTANCES, kadInstances } from '../helpers/host-tracefs.js';
import { labSkip } from '../helpers/lab-gate.js';
import { KAD } from '../helpers/run-kad.js';

const skip = labSkip(import.meta.url, { lab: true });

hostTracefs(skip);

interface Line {
  type: string;
  [k: string]: unknown;
}

function startWatch(
  ns: string,
  args: string[] = [],
): { child: ChildProcess; lines: Line[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, KAD, 'watch', '--kernel', '--refresh', '200', '--stats-interval', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Line[] = [];
  let err = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (l) lines.push(JSON.parse(l) as Line);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

/** Until the run's own trace instance exists (ip netns exec execs node: same pid), and its capture has had a moment to open. */
async function ready(pid: number): Promise<void> {
  const dir = `${INSTANCES}/kad-${pid}`;
  for (let i = 0; i < 100 && !existsSync(dir); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(dir), `no trace instance ${dir}`);
  await new Promise((r) => setTimeout(r, 500));
}

interface Played {
  truth: Pick<LabTruth, 'connections'>;
  lines: Line[];
  topo: Topology;
}

/** Builds the lab, runs kad watch --kernel in the server's namespace, plays the scenario, stops kad with SIGTERM. */
async function play(name: string, t: { after: (fn: () => Promise<void>) => void }): Promise<Played> {
  const spec = findScenario(name)!;
  const cleanup = new Cleanup();
  t.after(async () => void (await cleanup.run()));
  const topo = await createTopology(newLabPrefix(), cleanup);
  await applyFirewall(topo, spec.firewall);
  const w = startWatch(topo.ns.server, ['-i', IFACE.server]);
  let result: Awaited<ReturnType<typeof spec.drive>>;
  try {
    await ready(w.child.pid!);
    result = await spec.drive({ topo, addr: ADDR[spec.ipVersion], cleanup, captures: { client: 'c.pcap', server: 's.pcap' } });
    // Past the hold before kernel lines go out, and a refresh.
    await new Promise((r) => setTimeout(r, 1200));
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.stderr());
  } finally {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await w.exited;
  }
  assert.equal(w.stderr(), '');
  assert.ok(!existsSync(`${INSTANCES}/kad-${w.child.pid}`), 'the trace instance is gone');
  return { truth: { connections: result.connections }, lines: w.lines, topo };
}

/** The kernel lines of the scenario's connection as the server's socket sees it. */
function serverSide(p: Played): { conn: ConnectionTruth; ev: Line[]; client: string; server: string } {
  const conn = p.truth.connections[0]!;
  const e = conn.edges.server;
  const client = `${e.client.addr}:${e.client.port}`;
  const server = `${e.server.addr}:${e.server.port}`;
  const ev = p.lines.filter((l) => l.type === 'kernel' && l.local === server && l.remote === client);
  return { conn, ev, client, server };
}

function kinds(ev: Line[], event: string, more: (l: Line) => boolean = () => true): Line[] {
  return ev.filter((l) => l.event === event && more(l));
}

test(
  'kernel lab: forged RST on the server keepalive: the server process gets ECONNRESET, the client stack sent no RST',
  { skip, timeout: 60_000 },
  async (t) => {
    const p = await play('fw-reset-keepalive', t);
    const { ev, client, server } = serverSide(p);
    const rr = kinds(ev, 'receive-reset');
    assert.equal(rr.length, 1, JSON.stringify(ev));
    assert.equal(rr[0]!.netns, 'this');
    assert.equal(typeof rr[0]!.cookie, 'string');
    assert.equal(typeof rr[0]!.rstFrame, 'number', 'joined to the captured RST');
    assert.equal(typeof rr[0]!.conn, 'number');
    const err = kinds(ev, 'error');
    assert.deepEqual(
      err.map((l) => [l.errno, l.error, l.process]),
      [[104, 'ECONNRESET', 'node']],
    );
    assert.equal(typeof err[0]!.pid, 'number');
    assert.equal(kinds(ev, 'send-reset').length, 0, 'the server stack sent no RST either');
    // The client's own namespace: no RST ever left its stack on this connection (system-wide events, labelled other).
    const clientSent = p.lines.filter((l) => l.type === 'kernel' && l.event === 'send-reset' && l.local === client && l.remote === server);
    assert.deepEqual(clientSent, []);
    const reset = p.lines.find((l) => l.type === 'reset' && l.client === client)!;
    assert.equal(reset.attribution, 'middlebox');
    const evidence = reset.evidence as Array<{ signal: string; pointsTo: string; detail: string }>;
    assert.ok(
      evidence.some((e) => e.signal === 'kernel' && e.pointsTo === 'unknown' && /received this RST.*ECONNRESET/.test(e.detail)),
      JSON.stringify(evidence),
    );
  },
);

test(
  'kernel lab: RST to a client write: the client socket (another namespace) is labelled other and left unjoined',
  { skip, timeout: 60_000 },
  async (t) => {
    const p = await play('fw-reset-client-write', t);
    const e = p.truth.connections[0]!.edges.client;
    const client = `${e.client.addr}:${e.client.port}`;
    const got = p.lines.filter((l) => l.type === 'kernel' && l.event === 'receive-reset' && l.local === client);
    assert.equal(got.length, 1, JSON.stringify(p.lines.filter((l) => l.type === 'kernel' && l.event !== 'state')));
    assert.equal(got[0]!.netns, 'other');
    for (const k of ['pid', 'conn', 'rstFrame', 'verdict']) assert.ok(!(k in got[0]!), `${k} must not be joined for another namespace`);
    assert.deepEqual(
      serverSide(p).ev.filter((l) => l.event !== 'state' && l.event !== 'retransmit'),
      [],
      'the server never learns',
    );
  },
);

test(
  'kernel lab: genuine peer abort and a socketless RST: tcp_send_reset makes them local-stack, decisively',
  { skip, timeout: 60_000 },
  async (t) => {
    for (const [name, reason] of [
      ['peer-abort', null],
      // The client's write reaches the server's listener, which answers for the connection it lacks (reason
      // TCP_FLAGS, state LISTEN, remote 0.0.0.0:0 on this 6.x kernel); with no listener it is NO_SOCKET.
      ['peer-socketless', /^(TCP_FLAGS|NO_SOCKET)$/],
    ] as const) {
      const p = await play(name, t);
      const { ev, client, server } = serverSide(p);
      // A listener's RST names its own unconnected remote end.
      const sent = kinds(ev, 'send-reset').concat(
        p.lines.filter((l) => l.type === 'kernel' && l.event === 'send-reset' && l.local === server && l.remote === '0.0.0.0:0'),
      );
      assert.ok(sent.length >= 1, `${name}: ${JSON.stringify(ev)}`);
      const onWire = sent.filter((l) => typeof l.rstFrame === 'number');
      assert.equal(onWire.length, 1, `${name}: one sent RST is a captured one: ${JSON.stringify(sent)}`);
      if (reason) assert.match(String(onWire[0]!.reason), reason);
      const resets = p.lines.filter((l) => l.type === 'reset' && l.client === client);
      const byKernel = resets.filter((r) =>
        (r.evidence as Array<{ signal: string; pointsTo: string; strength: string }>).some(
          (e) => e.signal === 'kernel' && e.pointsTo === 'local-stack' && e.strength === 'decisive',
        ),
      );
      assert.equal(byKernel.length, 1, `${name}: ${JSON.stringify(resets)}`);
      assert.equal(byKernel[0]!.attribution, 'local-stack');
    }
  },
);

test('kernel lab: silent drop: keepalive gives up with ETIMEDOUT, confirmed by the kernel', { skip, timeout: 60_000 }, async (t) => {
  const p = await play('fw-drop', t);
  const { ev } = serverSide(p);
  const err = kinds(ev, 'error');
  assert.deepEqual(
    err.map((l) => [l.errno, l.error]),
    [[110, 'ETIMEDOUT']],
  );
  assert.match(String(err[0]!.verdict), /^keepalive gave up.*silent drop confirmed by the kernel/);
  assert.equal(err[0]!.process, 'node');
  assert.ok(p.lines.some((l) => l.type === 'silent-drop' && l.sender === 'server'));
});

test('kernel lab: keepalive survives and a FIN close: no error reaches either application', { skip, timeout: 90_000 }, async (t) => {
  for (const name of ['fin-close', 'keepalive-survives']) {
    const p = await play(name, t);
    const { ev } = serverSide(p);
    assert.deepEqual(kinds(ev, 'error').concat(kinds(ev, 'receive-reset'), kinds(ev, 'send-reset')), [], name);
    // The close itself is there: the socket leaves ESTABLISHED.
    assert.ok(kinds(ev, 'state', (l) => l.oldState === 'ESTABLISHED').length >= 1, `${name}: ${JSON.stringify(ev)}`);
  }
});

test(
  'kernel lab: a SIGKILLed run leaves its instance; the next run removes it; --no-capture says what it cannot know',
  { skip, timeout: 30_000 },
  async (t) => {
    const ns = `kad-kern-${process.pid}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
    t.after(() => void spawnSync('ip', ['netns', 'del', ns]));
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const runs: ChildProcess[] = [];
    // A failed assertion must not leave a run behind: its open pipes would keep the test process alive.
    t.after(() => {
      for (const c of runs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
    const killed = startWatch(ns, ['-i', 'lo']);
    runs.push(killed.child);
    await ready(killed.child.pid!);
    killed.child.kill('SIGKILL');
    await killed.exited;
    assert.ok(kadInstances().includes(`kad-${killed.child.pid}`), 'SIGKILL leaves the instance behind');
    const next = startWatch(ns, ['--no-capture']);
    runs.push(next.child);
    await ready(next.child.pid!);
    assert.ok(!kadInstances().includes(`kad-${killed.child.pid}`), "the next run removed the dead run's instance");
    // A refused connect in the namespace: kernel lines only, no capture.
    spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', "require('net').connect(1,'127.0.0.1').on('error',()=>{})"]);
    await new Promise((r) => setTimeout(r, 1500));
    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0, next.stderr());
    assert.ok(!kadInstances().includes(`kad-${next.child.pid}`));
    const rr = next.lines.find((l) => l.type === 'kernel' && l.event === 'receive-reset' && l.remote === '127.0.0.1:1');
    assert.ok(rr, JSON.stringify(next.lines));
    assert.match(String(rr.verdict), /^reset received/);
    assert.match(String(rr.unknown), /peer, or a middlebox/);
    assert.match(String(rr.decide), /capture here/);
    assert.ok(!('rstFrame' in rr));
  },
);

test('kernel lab: refusals are one line with the fix: not root (77), no tracefs (69), --no-capture alone (2)', { skip }, () => {
  const nobody = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, KAD, 'watch', '--kernel', '--no-capture'],
    {
      encoding: 'utf8',
    },
  );
  if (nobody.status !== 127 && !/EACCES|Cannot find module/.test(nobody.stderr)) {
    assert.equal(nobody.status, 77, nobody.stderr);
    assert.equal(nobody.stderr, 'kad: kad watch --kernel needs root to read kernel tracepoints (tracefs): run it as root\n');
  }
  const none = spawnSync(process.execPath, [KAD, 'watch', '--kernel', '--no-capture'], {
    encoding: 'utf8',
    env: { ...process.env, KAD_TRACEFS: '/nonexistent/kad-tracefs' },
  });
  assert.equal(none.status, 69, none.stderr);
  assert.match(
    none.stderr,
    /^kad: --kernel: no tracefs at \/nonexistent\/kad-tracefs and it cannot be mounted \(.*\): mount it \(mount -t tracefs nodev \/nonexistent\/kad-tracefs\) or use a kernel with tracing \(CONFIG_FTRACE\)\n$/,
  );
  const alone = spawnSync(process.execPath, [KAD, 'watch', '--no-capture'], { encoding: 'utf8' });
  assert.equal(alone.status, 2);
  assert.equal(alone.stderr, 'kad: --no-capture needs --kernel (without packets, kernel events are the only source)\n');
});

/** `kad probe` without a lab: argument checks, the bisection, /proc parsing, and the CLI on the loopback. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { EXIT, UserError } from '../src/model/errors.js';
import { choosePoints, searchEnd, type Bracket, type SearchSpace } from '../src/probe/bisection.js';
import { DEFAULTS, parsePrecision, probeSettings, type ProbeCliOptions } from '../src/probe/probe-options.js';
import type { ProbeReport } from '../src/probe/probe-report.js';
import { procTcpTable, socketPairKey } from '../src/probe/proc-net-tcp.js';
import { timerSeconds } from '../src/sockets/socket-table.js';
import { parseTarget } from '../src/probe/target.js';
import { KAD, runKad } from './helpers/run-kad.js';

const cli = (o: Partial<ProbeCliOptions> = {}): ProbeCliOptions => ({ ...DEFAULTS, capture: true, ...o });

test('targets: HOST:PORT, [IPv6]:PORT, names', () => {
  assert.deepEqual(parseTarget('198.51.100.10:5432'), { host: '198.51.100.10', port: 5432 });
  assert.deepEqual(parseTarget('[2001:db8::10]:443'), { host: '2001:db8::10', port: 443 });
  assert.deepEqual(parseTarget('db.example.com:5432'), { host: 'db.example.com', port: 5432 });
  for (const bad of ['198.51.100.10', '2001:db8::10:443', '[db.example.com]:1', 'h:0', 'h:65536', ':80', 'h:port']) {
    assert.throws(() => parseTarget(bad), UserError, bad);
  }
});

test('settings: defaults, bounds, and the connection limit', () => {
  const s = probeSettings('192.0.2.1:80', cli());
  assert.equal(s.method, 'keepalive');
  assert.deepEqual([s.minS, s.maxS, s.connections, s.maxTimeS], [5, 1200, 4, 1800]);
  assert.deepEqual(s.precision, { kind: 'seconds', value: 10 });
  assert.deepEqual(parsePrecision('5%'), { kind: 'fraction', value: 0.05 });
  assert.equal(probeSettings('192.0.2.1:80', cli({ connections: '16' })).connections, 16);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ connections: '17' })), /more than 16; add --force/);
  assert.equal(probeSettings('192.0.2.1:80', cli({ connections: '17', force: true })).connections, 17);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ connections: '500', force: true })), /more than the probe ever opens/);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ connections: '0' })), UserError);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ min: '2.5s' })), /whole seconds/);
  assert.equal(probeSettings('192.0.2.1:80', cli({ min: '2.5s', allowData: true })).minS, 2.5);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ min: '10m', max: '5m' })), /must be below --max/);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ max: '10h' })), /32767/);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ maxTime: '10s' })), /too short/);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ precision: '0%' })), UserError);
  assert.throws(() => probeSettings('192.0.2.1:80', cli({ precision: 'soon' })), UserError);
});

test('the first round spans --min to --max, spread geometrically over a wide range', () => {
  const space: SearchSpace = { minS: 2, maxS: 12, stepS: 1, precision: { kind: 'seconds', value: 1 } };
  assert.deepEqual(choosePoints(space, { survivedMaxS: null, diedMinS: null }, [], 4), [2, 4, 7, 12]);
  const wide: SearchSpace = { minS: 5, maxS: 1200, stepS: 1, precision: { kind: 'seconds', value: 10 } };
  assert.deepEqual(choosePoints(wide, { survivedMaxS: null, diedMinS: null }, [], 4), [5, 31, 193, 1200]);
  // Pending trials count as points: new ones go into the widest remaining gaps, never onto a pending one.
  assert.deepEqual(choosePoints(space, { survivedMaxS: 4, diedMinS: 12 }, [7], 2), [6, 10]);
  // Nothing outside the bracket, nothing above the time cap.
  assert.deepEqual(choosePoints(space, { survivedMaxS: 4, diedMinS: 7 }, [], 4, 5.5), [5]);
  assert.deepEqual(choosePoints(space, { survivedMaxS: 5, diedMinS: 6 }, [], 4), []);
});

test('the search ends: precision, below --min, above --max', () => {
  const space: SearchSpace = { minS: 5, maxS: 100, stepS: 1, precision: { kind: 'fraction', value: 0.1 } };
  assert.equal(searchEnd(space, { survivedMaxS: 50, diedMinS: 55 }), 'precision');
  assert.equal(searchEnd(space, { survivedMaxS: 40, diedMinS: 55 }), null);
  assert.equal(searchEnd(space, { survivedMaxS: null, diedMinS: 5 }), 'below-min');
  assert.equal(searchEnd(space, { survivedMaxS: 100, diedMinS: null }), 'above-max');
});

/** Plays the search against a path with timeout T, every round's trials decided together. */
function simulate(space: SearchSpace, n: number, timeoutS: number): { bracket: Bracket; rounds: number } {
  const b: Bracket = { survivedMaxS: null, diedMinS: null };
  let rounds = 0;
  for (let pts = choosePoints(space, b, [], n); pts.length > 0; pts = choosePoints(space, b, [], n)) {
    rounds++;
    for (const x of pts) {
      if (x < timeoutS) b.survivedMaxS = Math.max(b.survivedMaxS ?? -Infinity, x);
      else b.diedMinS = Math.min(b.diedMinS ?? Infinity, x);
    }
    assert.ok(rounds < 50, 'the search must converge');
  }
  return { bracket: b, rounds };
}

test('the bisection brackets any timeout within the precision in few rounds', () => {
  const space: SearchSpace = { minS: 5, maxS: 1200, stepS: 1, precision: { kind: 'seconds', value: 10 } };
  let worst = 0;
  for (const t of [5.5, 30, 60, 240, 299.5, 350, 600, 1199.5]) {
    const { bracket, rounds } = simulate(space, 4, t);
    assert.ok(bracket.survivedMaxS! < t && t <= bracket.diedMinS!, `T=${t}: ${JSON.stringify(bracket)}`);
    assert.ok(bracket.diedMinS! - bracket.survivedMaxS! <= 10, `T=${t}: ${JSON.stringify(bracket)}`);
    worst = Math.max(worst, rounds);
  }
  assert.ok(worst <= 6, `${worst} rounds`);
  assert.deepEqual(simulate(space, 4, 3).bracket, { survivedMaxS: null, diedMinS: 5 });
  assert.deepEqual(simulate(space, 4, 5000).bracket, { survivedMaxS: 1200, diedMinS: null });
  // One connection still gets there, one point per round.
  const one = simulate({ ...space, precision: { kind: 'fraction', value: 0.05 } }, 1, 350);
  assert.ok(
    one.bracket.survivedMaxS! < 350 &&
      350 <= one.bracket.diedMinS! &&
      one.bracket.diedMinS! - one.bracket.survivedMaxS! <= 0.05 * one.bracket.diedMinS!,
  );
});

test('/proc/net/tcp: a trial finds its row, with the keepalive timer and unanswered probes', () => {
  const table = procTcpTable(
    [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:15B3 0100007F:D3E2 01 00000000:00000000 02:000007B9 00000000     0        0 12345 1 0000000000000000 20 4 30 10 -1',
      '   1: 0100007F:D3E8 0100007F:15B3 01 00000001:00000000 01:00000032 00000003     0        2 12346 1 0000000000000000 20 4 30 10 -1',
    ].join('\n'),
    4,
    true,
  );
  const ka = table.get(socketPairKey({ addr: '127.0.0.1', port: 5555 }, { addr: '127.0.0.1', port: 54242 }));
  assert.deepEqual(
    [ka?.state, ka?.txQueue, ka?.timer, ka && timerSeconds(ka), ka?.retransmits, ka?.probesOut],
    ['ESTABLISHED', 0, 'keepalive', 19.77, 0, 0],
  );
  // Node may report the local address of an IPv4 socket v4-mapped.
  const data = table.get(socketPairKey({ addr: '::ffff:127.0.0.1', port: 54248 }, { addr: '127.0.0.1', port: 5555 }));
  assert.deepEqual(
    [data?.txQueue, data?.timer, data && timerSeconds(data), data?.retransmits, data?.probesOut],
    [1, 'retransmit', 0.5, 3, 2],
  );
});

test('kad probe: one line and a non-zero exit when the server cannot be reached', async () => {
  const closed = await freePort();
  const r = runKad(['probe', `127.0.0.1:${closed}`, '--min', '1s', '--max', '3s', '--quiet', '--no-capture']);
  assert.equal(r.status, EXIT.usage);
  assert.equal(r.stderr, `kad: cannot connect to 127.0.0.1:${closed}: ECONNREFUSED\n`);
  assert.equal(r.stdout, '');
  const many = runKad(['probe', '127.0.0.1:9', '--connections', '20']);
  assert.equal(many.status, 2);
  assert.match(many.stderr, /^kad: --connections 20 is more than 16; add --force[^\n]*\n$/);
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function acceptOnly(): Promise<{ server: Server; port: number; peers: Socket[] }> {
  const peers: Socket[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    peers.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port, peers };
}

test('kad probe on the loopback: nothing expires, so every idle up to --max survives', async () => {
  const { server, port, peers } = await acceptOnly();
  try {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [KAD, 'probe', `127.0.0.1:${port}`, '--min', '1s', '--max', '2s', '--connections', '2', '--no-capture', '--json'],
        (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ProbeReport;
    assert.equal(report.result.stopReason, 'above-max');
    assert.deepEqual([report.result.survivedMaxS, report.result.diedMinS, report.result.failureMode], [2, null, null]);
    assert.equal(report.capture.status, 'disabled');
    const trials = report.rounds.flatMap((x) => x.trials);
    assert.deepEqual(
      trials.map((t) => [t.idleS, t.outcome, t.evidence]),
      [
        [1, 'survived', 'the keepalive probe was answered'],
        [2, 'survived', 'the keepalive probe was answered'],
      ],
    );
    // Answered probes are seen through /proc within a poll, not after the 13 s fallback.
    assert.ok(
      trials.every((t) => t.decidedS < t.idleS + 1),
      JSON.stringify(trials),
    );
    assert.equal(peers.length, 2, 'exactly --connections connections, all to the given address');
  } finally {
    server.close();
  }
});

test('kad probe: Ctrl-C stops early with the bracket so far and exit code 130', async () => {
  const { server, port } = await acceptOnly();
  try {
    const child = spawn(
      process.execPath,
      [KAD, 'probe', `127.0.0.1:${port}`, '--min', '1s', '--max', '60s', '--no-capture', '--json', '--quiet'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = once(child, 'close');
    setTimeout(() => child.kill('SIGINT'), 1800);
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130);
    const report = JSON.parse(stdout) as ProbeReport;
    assert.equal(report.result.stopReason, 'interrupted');
    assert.equal(report.result.survivedMaxS, 1);
    assert.ok(report.rounds.flatMap((x) => x.trials).some((t) => t.outcome === 'cancelled'));
  } finally {
    server.close();
  }
});

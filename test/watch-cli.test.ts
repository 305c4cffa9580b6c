/**
 * `kad watch` as a user runs it: JSON Lines from a capture file and from a
 * pcap stream on stdin, and every way it can be refused without root
 * (unknown interface, missing file, option conflicts, --metrics without a
 * metrics build) giving exactly one line on stderr with the fix, never a
 * stack trace. What needs root (no privileges, a bad filter, a clean end of
 * a live capture on SIGTERM) is in test/lab/watch-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KAD, REPO, runKad } from './helpers/run-kad.js';

const RESET_CAPTURE = `${REPO}captures/fw-reset-keepalive.server.pcap`;
const DROP_CAPTURE = `${REPO}captures/fw-drop.client.pcap`;

interface Line {
  type: string;
  [k: string]: unknown;
}

function jsonLines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

function assertOneLine(stderr: string, what: string): void {
  assert.equal(stderr.split('\n').filter(Boolean).length, 1, `${what}: exactly one line on stderr, got:\n${stderr}`);
  assert.ok(!/\n\s+at /.test(stderr) && !stderr.includes('Error:'), `${what}: no stack trace`);
}

function checkResetRun(lines: Line[], source: RegExp): void {
  const types = lines.map((l) => l.type);
  assert.deepEqual(types, ['reset', 'stats'], 'one verdict, then the final stats line');
  const [reset, stats] = lines as [Line, Line];
  assert.equal(reset.attribution, 'middlebox');
  assert.equal(reset.conn, 1);
  assert.equal(reset.ts, '1795433760.508006000', "ts is the RST's own capture time");
  assert.equal(reset.client, '192.0.2.10:32786');
  assert.equal(reset.server, '198.51.100.10:5432');
  assert.ok(Array.isArray(reset.evidence));
  assert.match(String(stats.source), source);
  assert.equal(stats.final, true);
  assert.equal(stats.packets, 10);
  assert.equal(stats.connections, 1);
  assert.deepEqual(stats.resetsBy, { middlebox: 1, peer: 0, 'local-stack': 0, unknown: 0 });
}

test('kad watch -r FILE: the verdicts and a final stats line, then exit 0', () => {
  const r = runKad(['watch', '-r', RESET_CAPTURE]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  checkResetRun(jsonLines(r.stdout), /fw-reset-keepalive\.server\.pcap \(capture file, read as fast as possible\)$/);
});

test('kad watch -r -: a pcap stream on stdin (through a pipe, as from tcpdump -U -w -)', async () => {
  const child = spawn(process.execPath, [KAD, 'watch', '-r', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const data = readFileSync(RESET_CAPTURE);
  // In two pieces, so records arrive split across reads as they do from a live pipe.
  child.stdin.write(data.subarray(0, 300));
  await new Promise((r) => setTimeout(r, 100));
  child.stdin.end(data.subarray(300));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, err);
  checkResetRun(jsonLines(out), /^stdin \(pcap stream, kernel timestamps\)$/);
});

test('kad watch: a black-holed connection gives a silent-drop line', () => {
  const r = runKad(['watch', '-r', DROP_CAPTURE, '--stats-interval', '0']);
  assert.equal(r.status, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  const drop = lines.find((l) => l.type === 'silent-drop');
  assert.ok(drop, r.stdout);
  assert.equal(drop.sender, 'client');
  assert.match(String(drop.client), /^192\.0\.2\.10:\d+$/);
  assert.match(String(drop.ts), /^\d+\.\d{9}$/);
  assert.equal(lines.at(-1)!.silentDrops, 1);
  // Every line is stamped on the capture's clock, as the reset lines are: not with today's date.
  const first = Number(lines[0]!.ts);
  for (const l of lines) {
    const ts = Number(l.ts);
    assert.ok(ts >= first - 3600 && ts < Date.now() / 1000 - 86_400, `${l.type} ts ${String(l.ts)} is capture time`);
  }
});

test('refusals are one line: missing file, unknown interface, option conflicts', () => {
  const missing = runKad(['watch', '-r', '/nonexistent/capture.pcap']);
  assert.equal(missing.status, 2);
  assert.equal(missing.stdout, '', 'nothing printed before the error');
  assert.equal(missing.stderr, 'kad: /nonexistent/capture.pcap: no such file\n');
  assertOneLine(missing.stderr, 'missing file');

  for (const cmd of ['watch', 'live']) {
    const r = runKad([cmd, '-i', 'kad-nosuch0']);
    assert.equal(r.status, 2, r.stderr);
    assertOneLine(r.stderr, `${cmd}: unknown interface`);
    assert.match(r.stderr, /^kad: no such interface "kad-nosuch0"; available: any, .*\blo\b/);
  }

  const conflict = runKad(['watch', '-r', RESET_CAPTURE, '-i', 'lo']);
  assert.notEqual(conflict.status, 0);
  assert.match(conflict.stderr, /cannot be used with/);
});

const METRICS_BUILT = existsSync(fileURLToPath(new URL('../src/metrics/metrics-server.js', import.meta.url)));

test('--metrics: served next to the JSON Lines when this build has it, else one line saying it has not', () => {
  const r = runKad(['watch', '-r', RESET_CAPTURE, '--metrics', '127.0.0.1:0']);
  if (!METRICS_BUILT) {
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'kad: --metrics is not available in this build\n');
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.equal(lines[0]!.type, 'metrics');
  assert.match(String(lines[0]!.url), /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  checkResetRun(lines.slice(1), /fw-reset-keepalive\.server\.pcap/);
});

test('--capture-with tcpdump without tcpdump on PATH: one line with the fix, exit 69, no stack', () => {
  const r = spawnSync(process.execPath, [KAD, 'watch', '-i', 'lo', '--capture-with', 'tcpdump'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PATH: '/nonexistent', NO_COLOR: '1' },
  });
  assert.equal(r.status, 69, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /tcpdump not found: install it \(apt-get install tcpdump\) or capture with --capture-with cap/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--capture-with kad-capture when it is not built: one line with the fix, exit 69, no stack', () => {
  const missing = '/nonexistent/kad-capture';
  const r = spawnSync(process.execPath, [KAD, 'watch', '-i', 'lo', '--capture-with', 'kad-capture'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, KAD_CAPTURE: missing, NO_COLOR: '1' },
  });
  assert.equal(r.status, 69, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(`${missing} is not built: run make -C native/capture`), lines[0]);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--capture-with takes cap, kad-capture or tcpdump, and not with -r', () => {
  const bad = spawnSync(process.execPath, [KAD, 'watch', '--capture-with', 'pcap', '-r', RESET_CAPTURE], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /"pcap" is not a capture tool \(cap, kad-capture, tcpdump\)/);
  const both = spawnSync(process.execPath, [KAD, 'watch', '--capture-with', 'tcpdump', '-r', RESET_CAPTURE], { encoding: 'utf8' });
  assert.equal(both.status, 2);
  assert.match(both.stderr, /cannot be used with option '-r, --read <file>'/);
});

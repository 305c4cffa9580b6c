/**
 * `kad watch` as a user runs it: JSON Lines from a capture file and from a
 * pcap stream on stdin, a clean end on SIGTERM, and every way it can be
 * refused (no privileges, unknown interface, bad filter, missing file,
 * --metrics without a metrics build) giving exactly one line on stderr
 * with the fix, never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KAD, REPO, runKad } from './helpers/run-kad.js';

const RESET_CAPTURE = `${REPO}captures/fw-reset-keepalive.server.pcap`;
const DROP_CAPTURE = `${REPO}captures/fw-drop.client.pcap`;
const PRIVILEGE_LINE = (cmd: string): string =>
  `kad: ${cmd} needs root or CAP_NET_RAW to capture: run as root, or \`setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))\`\n`;

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

const root = process.getuid?.() === 0;

/** Whether uid 65534 can run this checkout's kad at all (a checkout under /root cannot be read by nobody). */
function nobodyCanRun(): boolean {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, KAD, '--version'], { encoding: 'utf8' });
  return r.status === 0;
}

const unprivSkip = !root ? 'needs root to switch to an unprivileged user' : !nobodyCanRun() ? 'uid 65534 cannot read this checkout' : false;

test('without privileges: exit 77 and exactly one line with the fix', { skip: unprivSkip }, () => {
  for (const cmd of ['watch', 'live']) {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, KAD, cmd, '-i', 'lo'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 77, `kad ${cmd}: ${r.stderr}`);
    assert.equal(r.stderr, PRIVILEGE_LINE(`kad ${cmd}`));
    assertOneLine(r.stderr, `kad ${cmd} unprivileged`);
    assert.equal(r.stdout, '');
  }
});

test('a bad capture filter: one line naming the filter', { skip: root ? false : 'libpcap compiles the filter only after opening the device (needs root)' }, () => {
  const r = runKad(['watch', '-i', 'lo', '-f', 'tcp port']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kad: bad capture filter "tcp port": syntax error (syntax: man pcap-filter)\n');
});

test('a live kad watch ends cleanly on SIGTERM: final stats line, exit 0', { skip: root ? false : 'live capture needs root', timeout: 30_000 }, async (t) => {
  const ns = `kad-watchsig-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  t.after(() => void spawnSync('ip', ['netns', 'del', ns]));
  assert.equal(spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']).status, 0);
  // No -i: the namespace has no default route, so kad falls back to 'any'.
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, KAD, 'watch', '--refresh', '100', '--stats-interval', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
});

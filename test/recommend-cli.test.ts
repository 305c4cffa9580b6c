import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const KAD = fileURLToPath(new URL('../../bin/kad', import.meta.url));

function kad(...args: string[]) {
  const r = spawnSync(process.execPath, [KAD, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('kad recommend --idle-timeout 5s --json gives a lab-sized setting', () => {
  const r = kad('recommend', '--idle-timeout', '5s', '--json', '--connections', '10');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.keepalive, { timeS: 2, intervalS: 1, probes: 3 });
  assert.equal(doc.userTimeoutMs, 5000);
  assert.equal(doc.pathTimeoutS, 5);
  assert.equal(doc.detectionS, 5);
});

test('kad recommend --behind accepts repeated and comma-separated presets', () => {
  const r = kad('recommend', '--behind', 'aws-nat-gateway,gcp-firewall', '--behind', 'aws-alb', '--connections', '100k');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /forgets idle flows after 350 s/);
  assert.match(r.stdout, /TCP_KEEPIDLE .* 280 s/);
  assert.match(r.stdout, /L7 proxies: TCP keepalive does not help/);
  assert.match(r.stdout, /net\.ipv4\.tcp_keepalive_time = 280/);
  assert.match(r.stdout, /Cost at scale: 100,000 connections/);
});

test('--from infers the idle timeout from the lab capture and recommends below it', () => {
  const r = kad('recommend', '--json', '--from', 'captures/fw-reset-keepalive.server.pcap');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    keepalive: { timeS: number; intervalS: number; probes: number };
    inferredFrom: Array<{ diedMinS: number; basisS: number }>;
  };
  assert.equal(doc.inferredFrom.length, 1);
  const died = doc.inferredFrom[0]!.diedMinS;
  // The server's keepalive after ~5 s idle was reset by the 3 s firewall.
  assert.ok(died > 3 && died < 6, `died after ${died} s`);
  assert.ok(doc.keepalive.timeS + 2 * doc.keepalive.intervalS < died, JSON.stringify(doc.keepalive));
});

test('--from: the timeout is labelled as inferred, with a rounded value, never as given with --idle-timeout', () => {
  const r = kad('recommend', '--from', 'captures/fw-reset-keepalive.server.pcap');
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /command line|--idle-timeout \d/);
  assert.doesNotMatch(r.stdout, /\d\.\d{2,} s/, 'no microsecond-precise timeouts');
  assert.match(r.stdout, /^ {2}inferred for 198\.51\.100\.10:5432: 5\.1 s, L4 \[inferred\] source: captures \(--from\): T ≤ 5\.2 s/m);
});

test('--from on captures where nothing died after idle is a one-line error', () => {
  const r = kad('recommend', '--from', 'captures/fin-close.server.pcap');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kad: no idle timeout can be inferred from captures\/fin-close\.server\.pcap: .*pass --idle-timeout instead\n$/);
});

test('impossible or malformed inputs are one-line errors with exit code 2', () => {
  for (const args of [
    ['--idle-timeout', '3s'],
    ['--idle-timeout', '1s', '--tolerate-losses', '0'],
    ['--idle-timeout', 'soon'],
    ['--behind', 'no-such-box'],
    ['--behind', 'aws-alb'],
    [],
  ]) {
    // eslint-disable-next-line no-restricted-syntax -- a handful of flags
    const r = kad('recommend', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^kad: /);
  }
});

test('--list-presets prints every preset with its source', () => {
  const r = kad('recommend', '--list-presets', '--json');
  assert.equal(r.status, 0);
  const presets = JSON.parse(r.stdout) as { id: string; source: string }[];
  assert.ok(presets.every((p) => p.source.length > 0));
  assert.ok(presets.some((p) => p.id === 'kube-proxy-ipvs'));
});

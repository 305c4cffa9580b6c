/** The lab's command line: usage errors, the root and tool checks, and cleanup on Ctrl-C. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SCENARIOS } from '../lab/scenarios/index.js';

const RUN_LAB = fileURLToPath(new URL('../lab/run-lab.js', import.meta.url));
const isRoot = process.getuid?.() === 0;

function lab(args: string[], env: NodeJS.ProcessEnv = process.env, prefix: string[] = []): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  const [cmd, ...rest] = [...prefix, process.execPath, RUN_LAB, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env, timeout: 30_000 });
}

test('--list names every scenario', () => {
  const r = lab(['--list']);
  assert.equal(r.status, 0, r.stderr);
  for (const s of SCENARIOS) assert.match(r.stdout, new RegExp(`^${s.name} `, 'm'));
});

test('an unknown scenario is one line and exit code 2', () => {
  const r = lab(['no-such-scenario']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^kad lab: unknown scenario 'no-such-scenario'; one of: all, fw-reset-keepalive/);
});

test('without root: one clear line, exit code 2, no stack trace', () => {
  // As root, drop to nobody to see what a normal user sees.
  const r = isRoot ? lab(['fw-reset-keepalive'], process.env, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']) : lab(['fw-reset-keepalive']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'kad lab needs root (network namespaces): run as root or with sudo\n');
});

test('missing tools are named with their Debian packages', { skip: isRoot ? false : 'the root check comes first; needs root' }, () => {
  const bin = mkdtempSync(join(tmpdir(), 'kad-lab-path-'));
  try {
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = lab(['fw-reset-keepalive'], { ...process.env, PATH: bin });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^kad lab needs ip, nft, tcpdump, sysctl, not found on PATH: .*apt-get install iproute2 nftables tcpdump procps$/m);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

/** Namespaces and processes (endpoints, tcpdump) that carry a lab run's prefix. */
function leftovers(prefix: string): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
  const procs: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(prefix)) procs.push(`${pid}: ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return [...ns, ...procs];
}

test('SIGINT in the middle of a scenario removes every namespace and process', { skip: isRoot ? false : 'needs root' }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'kad-lab-sigint-'));
  try {
    const child = spawn(process.execPath, [RUN_LAB, 'fw-drop', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = `kad-${child.pid}-`;
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('capturing')) resolve();
      });
      void exited.then(() => reject(new Error(`lab exited early: ${stdout}${stderr}`)));
    });
    // Endpoints up and the connection idling behind the firewall.
    await new Promise((r) => setTimeout(r, 1500));
    const during = leftovers(prefix);
    assert.ok(during.some((l) => l.includes('endpoint.js')), `expected running endpoints, saw:\n${during.join('\n')}`);
    assert.ok(during.some((l) => l.includes('tcpdump')), `expected running tcpdump, saw:\n${during.join('\n')}`);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /SIGINT: removing the lab's namespaces and processes/);
    assert.deepEqual(leftovers(prefix), []);
    assert.deepEqual(readdirSync(out), [], 'an interrupted run must not write captures or truth');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

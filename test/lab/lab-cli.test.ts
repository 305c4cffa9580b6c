/** The lab's command line where it needs root: the tool check, and cleanup on Ctrl-C. Usage errors are in test/lab-cli.test.ts. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { labSkip } from '../helpers/lab-gate.js';

const RUN_LAB = fileURLToPath(new URL('../../lab/run-lab.js', import.meta.url));

function lab(args: string[], env: NodeJS.ProcessEnv = process.env): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  return spawnSync(process.execPath, [RUN_LAB, ...args], { encoding: 'utf8', env, timeout: 30_000 });
}

test(
  'missing tools are named with their Debian packages',
  { skip: labSkip(import.meta.url, { root: 'the root check comes first' }) },
  () => {
    const bin = mkdtempSync(join(tmpdir(), 'kad-lab-path-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const r = lab(['fw-reset-keepalive'], { ...process.env, PATH: bin });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(
        r.stderr,
        /^kad lab needs ip, nft, tcpdump, sysctl, not found on PATH: .*apt-get install iproute2 nftables tcpdump procps$/m,
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  },
);

/** Namespaces and processes (endpoints, tcpdump) that carry a lab run's prefix. */
function leftovers(prefix: string): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.startsWith(prefix));
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

test(
  'SIGINT in the middle of a scenario removes every namespace and process',
  { skip: labSkip(import.meta.url, { lab: true }) },
  async () => {
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
      assert.ok(
        during.some((l) => l.includes('endpoint.js')),
        `expected running endpoints, saw:\n${during.join('\n')}`,
      );
      assert.ok(
        during.some((l) => l.includes('tcpdump')),
        `expected running tcpdump, saw:\n${during.join('\n')}`,
      );
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      assert.match(stderr, /SIGINT: removing the lab's namespaces and processes/);
      assert.deepEqual(leftovers(prefix), []);
      assert.deepEqual(readdirSync(out), [], 'an interrupted run must not write captures or truth');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

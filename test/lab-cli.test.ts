/** The lab's command line: usage errors and the root check. The tool check and cleanup on Ctrl-C, which need root, are in test/lab/lab-cli.test.ts. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SCENARIOS } from '../lab/scenarios/index.js';

const RUN_LAB = fileURLToPath(new URL('../lab/run-lab.js', import.meta.url));
const isRoot = process.getuid?.() === 0;

function lab(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  prefix: string[] = [],
): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
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
  const r = isRoot
    ? lab(['fw-reset-keepalive'], process.env, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'])
    : lab(['fw-reset-keepalive']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'kad lab needs root (network namespaces): run as root or with sudo\n');
});

/**
 * The proof for `kad probe`: in the lab (client → nftables/conntrack
 * firewall with a 6 s idle timeout → server), the probe run from the client
 * namespace against an accept-only server finds the timeout within the
 * requested 1 s precision, and names the failure mode: reset for a
 * `reject with tcp reset` firewall, silent drop for a `drop` one.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { stopChild } from '../../lab/exec.js';
import { applyFirewall, staleFlowPackets, type FirewallAction } from '../../lab/firewall.js';
import { ADDR, createTopology, newLabPrefix, type Topology } from '../../lab/topology.js';
import type { ProbeReport } from '../../src/probe/probe-report.js';
import { KAD } from '../helpers/run-kad.js';
import { labSkip } from '../helpers/lab-gate.js';

const skip = labSkip(import.meta.url, { lab: true });
const TIMEOUT_S = 6;
const PORT = 7400;
const SERVER = ADDR[4].server;

/** A server that accepts and then never says a word: all the probe needs. */
const ACCEPT_ONLY = `
const net = require('node:net');
const held = [];
net.createServer((s) => { s.on('error', () => {}); held.push(s); })
  .listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));
`;

async function startAcceptOnlyServer(topo: Topology, cleanup: Cleanup): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', topo.ns.server, process.execPath, '-e', ACCEPT_ONLY, SERVER, String(PORT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'close');
  cleanup.add(
    'stop the accept-only server',
    () => stopChild(child, exited),
    () => void child.kill('SIGKILL'),
  );
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([once(lines, 'line'), exited.then(() => ['exited'])])) as string[];
  assert.equal(first, 'listening', 'the server did not start');
}

function probeFromClient(topo: Topology, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', topo.ns.client, process.execPath, KAD, 'probe', ...args],
      { timeout: 110_000, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

async function probeLab(action: FirewallAction, t: { diagnostic(msg: string): void }): Promise<{ report: ProbeReport; stale: number }> {
  const cleanup = new Cleanup();
  let topo: Topology | null = null;
  try {
    topo = await createTopology(newLabPrefix(), cleanup);
    await applyFirewall(topo, { idleTimeoutS: TIMEOUT_S, action, nat: false });
    await startAcceptOnlyServer(topo, cleanup);
    const t0 = Date.now();
    const run = await probeFromClient(topo, [`${SERVER}:${PORT}`, '--min', '2s', '--max', '12s', '--precision', '1s', '--json']);
    t.diagnostic(`${action}: kad probe took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(run.code, 0, `kad probe failed:\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as ProbeReport;
    t.diagnostic(`${action}: ${report.result.summary}`);
    return { report, stale: await staleFlowPackets(topo) };
  } finally {
    assert.deepEqual(await cleanup.run(), [], 'cleanup failed');
    if (topo) {
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.startsWith(topo!.prefix));
      assert.deepEqual(left, [], 'namespaces left behind');
    }
  }
}

function assertBracket(report: ProbeReport): void {
  const { survivedMaxS: lo, diedMinS: hi, widthS } = report.result;
  assert.ok(lo !== null && hi !== null, `no bracket: ${report.result.summary}`);
  assert.ok(lo < TIMEOUT_S && TIMEOUT_S <= hi, `the bracket (${lo}, ${hi}] must contain the firewall's ${TIMEOUT_S} s`);
  assert.ok(hi - lo <= 1 + 1e-9 && widthS === hi - lo, `bracket (${lo}, ${hi}] wider than the 1 s precision`);
  assert.equal(report.result.stopReason, 'precision');
  assert.deepEqual(report.target, { host: SERVER, address: SERVER, port: PORT });
  const trials = report.rounds.flatMap((r) => r.trials);
  assert.ok(trials.length <= 16, `${trials.length} trials`);
  assert.ok(
    report.rounds.every((r) => r.trials.length <= report.settings.connections),
    'never more trials at once than --connections',
  );
}

test(
  "kad probe finds a reject firewall's 6 s idle timeout within 1 s, failure mode reset, RSTs attributed to the middlebox",
  { skip, timeout: 120_000 },
  async (t) => {
    const { report, stale } = await probeLab('reject', t);
    assertBracket(report);
    assert.equal(report.result.failureMode, 'reset');
    assert.ok(stale >= 1, 'the firewall answered at least one stale-flow packet');
    assert.equal(report.capture.status, 'used', report.capture.detail);
    const forged = report.capture.resetsBy.middlebox ?? 0;
    assert.ok(forged >= 1, `capture attribution: ${JSON.stringify(report.capture.resetsBy)}`);
    assert.equal(report.capture.resetsBy.peer ?? 0, 0, 'no RST is blamed on the server, which never sent one');
    const reset = report.rounds.flatMap((r) => r.trials).filter((x) => x.outcome === 'reset');
    assert.ok(
      reset.every((x) => x.capture?.resets.some((r) => r.attribution === 'middlebox')),
      'each reset trial has its forged RST',
    );
  },
);

test("kad probe finds a drop firewall's 6 s idle timeout within 1 s, failure mode silent drop", { skip, timeout: 120_000 }, async (t) => {
  const { report, stale } = await probeLab('drop', t);
  assertBracket(report);
  assert.equal(report.result.failureMode, 'silent-drop');
  assert.ok(stale >= 1, 'the firewall dropped stale-flow packets');
  assert.equal(report.capture.resetsBy.middlebox ?? 0, 0, 'a drop firewall forges nothing');
  const dropped = report.rounds.flatMap((r) => r.trials).filter((x) => x.outcome === 'silent-drop');
  assert.ok(dropped.length >= 1 && dropped.every((x) => x.code === 'ETIMEDOUT'));
});

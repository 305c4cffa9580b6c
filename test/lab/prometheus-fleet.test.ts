/**
 * Issue 22's proof on a real Prometheus: two lab "hosts" (the client and the
 * server namespace), each with its own `kad watch --metrics` on its own
 * address, behind the lab firewall; Debian's prometheus, started here with
 * deploy/prometheus/kad.rules.yml, scrapes both from the firewall namespace
 * (the only one that reaches both without a route through the forward chain
 * under test). Assertions go through its HTTP API: no alert while keepalive
 * beats the firewall, then the fleet bracket and the middlebox-reset alert on
 * the right path after the forged-RST scenario.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Cleanup } from '../../lab/cleanup.js';
import { LAB_PORT } from '../../lab/endpoint-protocol.js';
import { sleep, stopChild } from '../../lab/exec.js';
import { applyFirewall } from '../../lab/firewall.js';
import { connectPair, closeNormally, enableKeepalive, exchange, idleUntil } from '../../lab/scenario-kit.js';
import { findScenario } from '../../lab/scenarios/index.js';
import { ADDR, createTopology, IFACE, newLabPrefix, type Topology } from '../../lab/topology.js';
import { labSkip } from '../helpers/lab-gate.js';
import { namespacesLeft } from '../helpers/namespaces-left.js';
import { KAD, REPO } from '../helpers/run-kad.js';

const skip = labSkip(import.meta.url, { lab: true, tools: ['prometheus'] });
const pexec = promisify(execFile);
const METRICS_PORT = 9464;
/** Inside the firewall's own fresh namespace, so no other Prometheus (a system one included) can hold it. */
const PROM_LISTEN = '127.0.0.1:9090';

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A child started in a namespace; `ip netns exec` execs the command, so the PID is the command's own. */
function startIn(ns: string, argv: string[], cleanup: Cleanup, label: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  cleanup.add(
    `stop ${label} (pid ${child.pid})`,
    () => stopChild(child, exited),
    () => void child.kill('SIGKILL'),
  );
  return { child, stderr: () => err };
}

/** `kad watch --metrics` on one lab host; resolves once it prints the URL it serves. */
async function startKad(ns: string, iface: string, addr: string, cleanup: Cleanup): Promise<void> {
  const listen = `${addr}:${METRICS_PORT}`;
  const { child, stderr } = startIn(
    ns,
    [process.execPath, KAD, 'watch', '-i', iface, '--refresh', '200', '--stats-interval', '0', '--metrics', listen],
    cleanup,
    `kad watch in ${ns}`,
  );
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.includes('"type":"metrics"')) resolve();
    });
    child.on('close', (code) => reject(new Error(`kad watch in ${ns} exited (${code}): ${stderr()}`)));
    setTimeout(() => reject(new Error(`kad watch in ${ns} did not serve ${listen} within 10 s: ${stderr()}`)), 10_000).unref();
  });
}

/**
 * GET on Prometheus' HTTP API from inside the firewall namespace (Node cannot
 * enter a namespace itself; a fetch in a child that does is the same API call).
 */
async function api<T>(ns: string, path: string): Promise<T> {
  const script = 'fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t))';
  const { stdout } = await pexec('ip', ['netns', 'exec', ns, process.execPath, '-e', script, `http://${PROM_LISTEN}${path}`]);
  const doc = JSON.parse(stdout) as { status: string; data: T; error?: string };
  assert.equal(doc.status, 'success', `${path}: ${doc.error ?? stdout}`);
  return doc.data;
}

async function query(ns: string, expr: string): Promise<PromSample[]> {
  const data = await api<{ resultType: string; result: PromSample[] }>(ns, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  return data.result;
}

async function queryUntil(ns: string, expr: string, done: (r: PromSample[]) => boolean, timeoutMs: number): Promise<PromSample[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let r: PromSample[] = [];
    try {
      r = await query(ns, expr);
    } catch (err) {
      // Not listening yet (start-up), or the rules are loading: keep asking until the deadline.
      if (Date.now() > until) throw err;
    }
    if (done(r) || Date.now() > until) return r;
    await sleep(300);
  }
}

test(
  'a real Prometheus with kad.rules.yml: no alert while keepalive wins, the bracket and the reset alert after the forged RST',
  { skip, timeout: 90_000 },
  async (t) => {
    const cleanup = new Cleanup();
    const t0 = Date.now();
    const work = mkdtempSync(join(tmpdir(), 'kad-prom-'));
    cleanup.add(
      `remove ${work}`,
      async () => rmSync(work, { recursive: true, force: true }),
      () => rmSync(work, { recursive: true, force: true }),
    );
    let topo: Topology | null = null;
    try {
      const spec = findScenario('fw-reset-keepalive');
      assert.ok(spec, 'the lab has the fw-reset-keepalive scenario');
      topo = await createTopology(newLabPrefix(), cleanup);
      await applyFirewall(topo, spec.firewall);
      const fwTimeoutS = spec.firewall.idleTimeoutS;
      const clientHost = `${ADDR[4].client}:${METRICS_PORT}`;
      const serverHost = `${ADDR[4].server}:${METRICS_PORT}`;
      await startKad(topo.ns.client, IFACE.client, ADDR[4].client, cleanup);
      await startKad(topo.ns.server, IFACE.server, ADDR[4].server, cleanup);

      // One-second scrapes and evaluations: the rules' windows are minutes, but their first samples count at once.
      writeFileSync(
        join(work, 'prometheus.yml'),
        `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${join(REPO, 'deploy', 'prometheus', 'kad.rules.yml')}
scrape_configs:
  - job_name: kad
    static_configs:
      - targets: ['${clientHost}', '${serverHost}']
`,
      );
      const prom = startIn(
        topo.ns.firewall,
        [
          'prometheus',
          `--config.file=${join(work, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(work, 'data')}`,
          `--web.listen-address=${PROM_LISTEN}`,
          '--log.level=warn',
        ],
        cleanup,
        'prometheus',
      );
      const up = await queryUntil(topo.ns.firewall, 'up{job="kad"} == 1', (r) => r.length === 2, 15_000);
      assert.equal(up.length, 2, `both kad hosts scraped: ${JSON.stringify(up)}; prometheus: ${prom.stderr()}`);
      const rules = await api<{ groups: Array<{ name: string; rules: unknown[] }> }>(topo.ns.firewall, '/api/v1/rules');
      assert.deepEqual(rules.groups.map((g) => g.name).sort(), ['kad.alerts', 'kad.fleet']);

      // Keepalive beats the firewall: client TCP_KEEPIDLE 1 s against its 3 s timeout, idle twice as long, still alive.
      const ctx = { topo, addr: ADDR[4], cleanup, captures: { client: 'client', server: 'server' } };
      const pair = await connectPair(ctx);
      await enableKeepalive(pair.client, 1, 'test: shorter than the firewall timeout');
      const first = await exchange(pair, 'hello\n');
      await idleUntil(first.clientT, 2 * fwTimeoutS * 1000);
      await exchange(pair, 'still here\n');
      await closeNormally(pair);
      // The scenario below listens on the same port.
      await pair.client.stop();
      await pair.server.stop();
      const answered = await queryUntil(
        topo.ns.firewall,
        `kad_keepalive_probes_answered_total{instance="${clientHost}"} >= 3`,
        (r) => r.length === 1,
        5000,
      );
      assert.equal(answered.length, 1, 'the client host counted its answered keepalive probes');
      assert.deepEqual(await query(topo.ns.firewall, 'ALERTS'), [], 'no alert, pending or firing, while keepalive wins');

      // The forged RST: the server's probe after 5 s idle meets a flow the firewall forgot after 3 s.
      await spec.drive(ctx);
      const path = `${ADDR[4].server}:${LAB_PORT}`;
      const firing = await queryUntil(
        topo.ns.firewall,
        'ALERTS{alertname="KadMiddleboxResets",alertstate="firing"}',
        (r) => r.length > 0,
        10_000,
      );
      assert.deepEqual(
        firing.map((s) => ({ instance: s.metric.instance, path: s.metric.path })),
        [{ instance: serverHost, path }],
        'the alert fires once, on the server host, for the server path',
      );
      const upper = await query(topo.ns.firewall, 'path:kad_idle_timeout_upper_bound_seconds:min');
      const mine = upper.filter((s) => s.metric.path === path);
      assert.equal(mine.length, 1, `fleet upper bound recorded for ${path}: ${JSON.stringify(upper)}`);
      const died = Number(mine[0]!.value[1]);
      // The probe leaves 5 s after the last segment by the kernel's jiffies; the capture may measure 4.9998 s.
      assert.ok(died >= 4.9 && died < 6, `fleet upper bound ${died}`);
      const lower = (await query(topo.ns.firewall, 'path:kad_idle_timeout_lower_bound_seconds:max')).find((s) => s.metric.path === path);
      if (lower) assert.ok(Number(lower.value[1]) < died, `bracket (${lower.value[1]}, ${died}]`);
      const other = await query(topo.ns.firewall, 'ALERTS{alertstate="firing",alertname!="KadMiddleboxResets"}');
      assert.deepEqual(other, [], 'no other alert fires');
      t.diagnostic(`fleet bracket for ${path}: (${lower?.value[1] ?? '?'}, ${died}] s; took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      const failures = await cleanup.run();
      assert.deepEqual(failures, [], 'cleanup failed');
      if (topo) {
        assert.deepEqual(namespacesLeft(topo.prefix), [], 'namespaces left behind');
      }
    }
  },
);

/**
 * deploy/ checked offline, as CI (a fresh Debian 12, no cluster, no kubectl)
 * can: promtool on the rules and their unit tests, every metric the rules and
 * the Grafana dashboard query is one kad exports (or a rule records),
 * systemd-analyze on the unit, and the DaemonSet's fields that matter.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import { KadMetrics } from '../src/metrics/kad-metrics.js';
import { labSkip } from './helpers/lab-gate.js';
import { families } from './helpers/prom-text.js';
import { REPO } from './helpers/run-kad.js';

const DEPLOY = join(REPO, 'deploy');
const RULES = join(DEPLOY, 'prometheus', 'kad.rules.yml');

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string; annotations?: Record<string, string> }> }>;
}
const rules = load(readFileSync(RULES, 'utf8')) as RuleFile;
const allRules = rules.groups.flatMap((g) => g.rules);
const recorded = new Set(allRules.flatMap((r) => (r.record ? [r.record] : [])));

/**
 * What a running kad exports: the families of a real registry, process
 * metrics included, and the metrics registered but left out of a scrape
 * while their value is unknown (kad_source_drops before a source reports).
 */
async function exported(): Promise<Set<string>> {
  const metrics = new KadMetrics();
  const text = await metrics.registry.metrics();
  return new Set([...families(text).keys(), ...metrics.metricNames(), 'up']);
}

/** Metric names in a PromQL expression: kad's, recorded ones (level:metric:ops), and up. */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...bare.matchAll(/\b(?:[a-z_]+:)?kad_[a-z_]+(?::[a-z0-9_]+)?\b|\bup\b/g)].map((m) => m[0]);
}

test('promtool: the rules load and every rule passes its unit tests', { skip: labSkip(import.meta.url, { tools: ['promtool'] }) }, () => {
  const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = spawnSync('promtool', ['test', 'rules', 'kad.rules.test.yml'], { cwd: join(DEPLOY, 'prometheus'), encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  // Every alert has a test block of its own: an untested alert would pass here unnoticed.
  const tests = readFileSync(join(DEPLOY, 'prometheus', 'kad.rules.test.yml'), 'utf8');
  for (const r of allRules) {
    if (r.alert) assert.match(tests, new RegExp(`alertname: ${r.alert}\\n`), `${r.alert} has an alert_rule_test`);
    if (r.record) assert.ok(tests.includes(r.record), `${r.record} has a promql_expr_test`);
  }
});

test('every alert has a summary, a description naming the path or host, and a runbook in the README', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  for (const r of allRules.filter((x) => x.alert)) {
    const a = r.annotations ?? {};
    assert.ok(a.summary && a.description && a.runbook_url, `${r.alert} annotations`);
    assert.match(a.description!, r.expr.includes('path') ? /\$labels\.path/ : /\$labels\.instance/, `${r.alert} description`);
    const anchor = a.runbook_url!.replace(/^README\.md#/, '');
    assert.ok(readme.includes(`#### ${r.alert}\n`) && anchor === r.alert!.toLowerCase(), `README section for ${r.alert}`);
  }
});

test('the rules and the Grafana dashboard query only metrics kad exports or the rules record', async () => {
  const have = await exported();
  const known = (n: string): boolean => (n.includes(':') ? recorded.has(n) : have.has(n));
  for (const r of allRules) {
    for (const n of metricNames(r.expr)) assert.ok(known(n), `${r.record ?? r.alert} uses ${n}, which nothing exports`);
  }
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'kad-dashboard.json'), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  const exprs = [
    ...dash.panels.flatMap((p) => p.targets.map((t) => ({ where: p.title, expr: t.expr }))),
    ...dash.templating.list.flatMap((v) => (v.definition ? [{ where: `$${v.name}`, expr: v.definition }] : [])),
  ];
  const used = new Set<string>();
  for (const { where, expr } of exprs) {
    for (const n of metricNames(expr)) {
      used.add(n);
      assert.ok(known(n), `dashboard "${where}" queries ${n}, which nothing exports`);
    }
  }
  // The panels: resets by attribution, the bracket, at risk, probes, kad's own health.
  for (const n of [
    'kad_resets_total',
    'path:kad_idle_timeout_upper_bound_seconds:min',
    'kad_connections_at_risk',
    'kad_keepalive_probes_answered_total',
    'up',
  ]) {
    assert.ok(used.has(n), `the dashboard shows ${n}`);
  }
  assert.deepEqual(
    dash.templating.list.map((v) => v.name),
    ['datasource', 'instance', 'path'],
  );
});

test('systemd-analyze verify: the unit is clean', { skip: labSkip(import.meta.url, { tools: ['systemd-analyze'] }) }, () => {
  const unit = readFileSync(join(DEPLOY, 'systemd', 'kad-watch.service'), 'utf8');
  for (const line of [
    'DynamicUser=yes',
    'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN',
    'ProtectSystem=strict',
    'Restart=on-failure',
    'MemoryMax=1G',
  ]) {
    assert.ok(unit.split('\n').includes(line), line);
  }
  // verify checks that ExecStart exists: point the README's install path at this checkout.
  const dir = mkdtempSync(join(tmpdir(), 'kad-unit-'));
  try {
    const copy = join(dir, 'kad-watch.service');
    writeFileSync(copy, unit.replaceAll('/opt/keepalive-doctor', REPO.replace(/\/$/, '')));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    // Unknown keys and bad values are only warnings (exit 0): clean means nothing said at all.
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the DaemonSet: host network, the two capabilities only, limits, the scrape annotation', () => {
  const ds = load(readFileSync(join(DEPLOY, 'kubernetes', 'kad-daemonset.yaml'), 'utf8')) as {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: {
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: { labels: Record<string, string>; annotations: Record<string, string> };
        spec: {
          hostNetwork: boolean;
          containers: Array<{
            name: string;
            image: string;
            args: string[];
            ports: Array<{ containerPort: number }>;
            securityContext: { privileged?: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[]; add: string[] } };
            resources: { requests: Record<string, string>; limits: Record<string, string> };
          }>;
        };
      };
    };
  };
  assert.equal(ds.apiVersion, 'apps/v1');
  assert.equal(ds.kind, 'DaemonSet');
  const t = ds.spec.template;
  for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) assert.equal(t.metadata.labels[k], v, 'the selector matches the pods');
  assert.equal(t.spec.hostNetwork, true);
  const [c] = t.spec.containers;
  assert.ok(c && t.spec.containers.length === 1);
  assert.equal(c.securityContext.privileged ?? false, false);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: ['NET_RAW', 'NET_ADMIN'] });
  for (const r of ['cpu', 'memory']) assert.ok(c.resources.requests[r] && c.resources.limits[r], `${r} request and limit`);
  const port = c.args[c.args.indexOf('--metrics') + 1];
  assert.equal(port, ':9464');
  assert.equal(c.args[0], 'watch');
  assert.equal(t.metadata.annotations['prometheus.io/scrape'], 'true');
  assert.equal(t.metadata.annotations['prometheus.io/port'], '9464');
  assert.deepEqual(
    c.ports.map((p) => p.containerPort),
    [9464],
  );
});

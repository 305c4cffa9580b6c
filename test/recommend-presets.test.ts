import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, findPreset } from '../src/recommend/presets.js';
import { recommend } from '../src/recommend/recommendation.js';
import { RecommendInputError } from '../src/recommend/recommend-input-error.js';
import { itemAt } from './helpers/checked.js';

test('every preset has a non-empty source, a valid evidence tag and a sane timeout', () => {
  assert.ok(PRESETS.length >= 20);
  for (const p of PRESETS) {
    assert.ok(p.source.trim().length > 0, `${p.id} has no source`);
    assert.ok(['verified', 'secondhand', 'unverified'].includes(p.evidence), p.id);
    assert.match(p.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    if (p.idleTimeoutS === null) assert.equal(p.layer, 'L7', `${p.id}: only L7 proxies may lack a default`);
    else assert.ok(Number.isInteger(p.idleTimeoutS) && p.idleTimeoutS > 0, p.id);
  }
  assert.equal(new Set(PRESETS.map((p) => p.id)).size, PRESETS.length, 'ids are unique');
});

test('the presets the issue names exist, with the reference values', () => {
  const expected: Record<string, number | null> = {
    'aws-nat-gateway': 350,
    'aws-nlb': 350,
    'aws-gwlb': 350,
    'aws-network-firewall': 350,
    'aws-alb': 60,
    'aws-clb': 60,
    'azure-lb': 240,
    'azure-nat-gateway': 240,
    'gcp-firewall': 600,
    'gcp-cloud-nat': 1200,
    'cisco-asa': 3600,
    'palo-alto': 3600,
    'check-point': 3600,
    'juniper-srx': 1800,
    fortigate: 3600,
    'huawei-usg': 1200,
    'f5-bigip': 300,
    'linux-conntrack': 432000,
    'kube-proxy-ipvs': 900,
  };
  for (const [id, seconds] of Object.entries(expected)) assert.equal(findPreset(id)?.idleTimeoutS, seconds, id);
});

test("L7 proxies are marked L7 and the reference's [U] entries are marked unverified", () => {
  const l7 = PRESETS.filter((p) => p.layer === 'L7')
    .map((p) => p.id)
    .sort();
  assert.deepEqual(l7, ['aws-alb', 'aws-clb', 'haproxy', 'nginx']);
  for (const id of ['fortigate', 'f5-bigip', 'cisco-ios-nat', 'nginx', 'haproxy']) assert.equal(findPreset(id)?.evidence, 'unverified', id);
  assert.equal(findPreset('gcp-firewall')?.evidence, 'secondhand');
  assert.equal(findPreset('azure-lb')?.expiry, 'silent-drop');
  assert.equal(findPreset('aws-nat-gateway')?.expiry, 'reset-on-next-packet');
});

test('the smallest L4 timeout governs; L7 hops only produce warnings', () => {
  const r = recommend({
    idleTimeoutsS: [],
    presets: ['aws-nat-gateway', 'azure-lb', 'aws-alb'].map((id) => findPreset(id)!),
    toleratedLosses: 2,
    detectWithinS: null,
    connections: null,
  });
  assert.equal(r.pathTimeoutS, 240);
  assert.equal(r.governing.label, 'azure-lb');
  assert.equal(r.l7Warnings.length, 1);
  assert.equal(itemAt(r.l7Warnings, 0, 'warning').label, 'aws-alb');
  assert.equal(itemAt(r.l7Warnings, 0, 'warning').heartbeatEveryS, 45); // nice-floor(0.8 · 60 = 48) = 45
  assert.match(itemAt(r.l7Warnings, 0, 'warning').message, /do not reset its 60 s idle timer/);
  assert.equal(r.cost, null);
});

test('an explicit --idle-timeout below every preset wins', () => {
  const r = recommend({
    idleTimeoutsS: [30],
    presets: [findPreset('aws-nat-gateway')!],
    toleratedLosses: 2,
    detectWithinS: null,
    connections: null,
  });
  assert.equal(r.pathTimeoutS, 30);
  assert.equal(r.governing.label, '--idle-timeout 30 s');
});

test('only L7 hops: refused with a pointer to application heartbeats', () => {
  assert.throws(
    () => recommend({ idleTimeoutsS: [], presets: [findPreset('aws-alb')!], toleratedLosses: 2, detectWithinS: null, connections: null }),
    (e: unknown) => e instanceof RecommendInputError && /L7 proxy/.test(e.message) && /heartbeat/.test(e.message),
  );
});

test('the JSON document carries the fields the lab consumes', () => {
  const r = recommend({
    idleTimeoutsS: [5],
    presets: [],
    toleratedLosses: 2,
    detectWithinS: null,
    connections: { count: 100_000, source: 'flag' },
  });
  const doc = JSON.parse(JSON.stringify(r));
  assert.deepEqual(doc.keepalive, { timeS: 2, intervalS: 1, probes: 3 });
  assert.equal(doc.userTimeoutMs, 5000);
  assert.equal(doc.pathTimeoutS, 5);
  assert.equal(doc.detectionS, 5);
  assert.equal(doc.cost.connections, 100_000);
  assert.equal(doc.cost.periodS, 2);
  const ids = doc.snippets.map((s: { id: string }) => s.id);
  for (const id of ['node', 'go', 'java', 'python', 'postgresql', 'redis', 'grpc']) assert.ok(ids.includes(id), id);
  assert.match(doc.sysctl.content, /net\.ipv4\.tcp_keepalive_time = 2\n/);
  assert.match(doc.sysctl.content, /net\.ipv4\.tcp_keepalive_intvl = 1\n/);
  assert.match(doc.sysctl.content, /net\.ipv4\.tcp_keepalive_probes = 3\n/);
});

test('snippets carry the runtime quirks: Node fixed 1 s / 10 probes, gRPC ping strikes', () => {
  const r = recommend({ idleTimeoutsS: [350], presets: [], toleratedLosses: 2, detectWithinS: null, connections: null });
  const node = r.snippets.find((s) => s.id === 'node')!;
  assert.match(node.code, /setKeepAlive\(true, delay\)/);
  assert.match(node.code, /KEEPALIVE_MS = 280000/);
  assert.ok(node.notes.some((n) => /TCP_KEEPINTVL at 1 s and TCP_KEEPCNT at 10/.test(n) && /280 \+ 10 × 1 = 290 s/.test(n)));
  const grpc = r.snippets.find((s) => s.id === 'grpc')!;
  assert.match(grpc.code, /GRPC_ARG_KEEPALIVE_TIME_MS = 280000/);
  assert.ok(grpc.notes.some((n) => /too_many_pings/.test(n) && /5 min/.test(n)));
  const pg = r.snippets.find((s) => s.id === 'postgresql')!;
  assert.match(pg.code, /keepalives_idle=280 keepalives_interval=30 keepalives_count=3 tcp_user_timeout=370000/);
  assert.match(r.snippets.find((s) => s.id === 'redis')!.code, /^tcp-keepalive 200$/);
});

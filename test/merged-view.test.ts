import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AnalysisReport, MergedView } from '../src/model/analysis-report.js';
import { buildPcap } from './helpers/capture-builder.js';
import { itemAt } from './helpers/checked.js';
import { LAB_SCENARIOS } from './helpers/lab-captures.js';
import { runKad } from './helpers/run-kad.js';
import { TcpScript } from './helpers/tcp-script.js';
import { tempCaptures } from './helpers/temp-captures.js';

/*
 * Issue 21, item 11: `kad analyze a.pcap b.pcap` of the same traffic says
 * each thing once. One finding per connection, one headline, one idle-timeout
 * bracket per path built from both captures' periods, one recommendation; and
 * text, HTML and --json say the same merged things.
 */

const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));
const files = tempCaptures('kad-merged-', 'pcap');

interface Truth {
  firewall: { idleTimeoutS: number };
  connections: { ended: string }[];
}

function analyze(paths: string[]): { doc: AnalysisReport; text: string; html: string } {
  const json = runKad(['analyze', '--json', ...paths]);
  assert.equal(json.status, 0, json.stderr);
  const text = runKad(['analyze', '--no-color', ...paths]);
  assert.equal(text.status, 0, text.stderr);
  const htmlFile = join(files.dir, 'report.html');
  const html = runKad(['analyze', '--html', htmlFile, ...paths]);
  assert.equal(html.status, 0, html.stderr);
  return { doc: JSON.parse(json.stdout) as AnalysisReport, text: text.stdout, html: readFileSync(htmlFile, 'utf8') };
}

function count(text: string, re: RegExp): number {
  return text.match(new RegExp(re.source, 'g'))?.length ?? 0;
}

/** Text, HTML and JSON tell the same merged headline and brackets, each once. */
function assertFormatsAgree(m: MergedView, text: string, html: string, what: string): void {
  assert.equal(count(text, /▶ /), m.problemGroups.length, `${what}: one headline line per merged problem group`);
  assert.equal(count(html, /<ul class="headlines"><li>|<\/li><li>(?=\d+ connection)/), m.problemGroups.length, `${what}: HTML headlines`);
  assert.equal(count(text, /Idle timeout of the path to /), m.idleTimeouts.length, `${what}: one bracket per path in the text`);
  assert.equal(count(html, /<div class="advice">/), m.idleTimeouts.length, `${what}: one advice block per path in the HTML`);
  assert.equal(count(text, /\n {4}recommendation:/), m.idleTimeouts.length, `${what}: one recommendation per path`);
  for (const t of m.idleTimeouts) {
    assert.ok(text.includes(`Idle timeout of the path to ${t.path}:`), what);
    assert.ok(html.includes(`Path to ${t.path}`), what);
  }
  assert.equal(new Set(m.idleTimeouts.map((t) => t.path)).size, m.idleTimeouts.length, `${what}: a path appears once`);
}

/** Every lab pair but the clean close and the IPv6 twin of fw-reset-keepalive. */
const PAIRS = LAB_SCENARIOS.filter((s) => s !== 'fin-close' && s !== 'fw-reset-keepalive-v6');

for (const name of PAIRS) {
  test(`merged (lab pair ${name}): one finding per connection, one bracket per path from both captures, formats agree`, () => {
    const truth = JSON.parse(readFileSync(join(CAPTURES, `${name}.truth.json`), 'utf8')) as Truth;
    const pair = [join(CAPTURES, `${name}.client.pcap`), join(CAPTURES, `${name}.server.pcap`)];
    const { doc, text, html } = analyze(pair);
    const m = doc.merged;
    assert.ok(m, 'two captures of the same traffic have a merged view');
    const problems = truth.connections.filter((c) => c.ended !== 'fin').length;
    assert.equal(m.findings.length, problems, 'one finding per connection that had a problem');
    for (const f of m.findings) {
      assert.deepEqual(
        f.seenAs.map((v) => v.file),
        pair,
        'the finding names the connection in both captures',
      );
      assert.ok(f.diagnosis.verdict.length > 0, 'the finding is worded');
    }
    // The merged bracket holds every period either capture saw: the longest survived and the shortest that died.
    const perFile = doc.files.flatMap((f) => f.idleTimeouts);
    for (const t of m.idleTimeouts) {
      const views = perFile.filter((p) => p.path === t.path || (name === 'nat-reset' && p.path.endsWith(':5432')));
      assert.equal(
        t.diedMinS,
        views.reduce((lo, p) => Math.min(lo, p.diedMinS!), Infinity),
      );
      const survived = views.flatMap((p) => (p.survivedMaxS === null ? [] : [p.survivedMaxS]));
      assert.equal(t.survivedMaxS, survived.length ? survived.reduce((hi, x) => Math.max(hi, x), -Infinity) : null);
      // And the truth lies inside it.
      assert.ok(truth.firewall.idleTimeoutS <= t.diedMinS! + 0.05, `T = ${truth.firewall.idleTimeoutS} s, bracket ≤ ${t.diedMinS} s`);
      assert.ok(t.survivedMaxS === null || t.survivedMaxS < truth.firewall.idleTimeoutS, `survived ${t.survivedMaxS} s`);
    }
    assertFormatsAgree(m, text, html, name);
    // A capture's own section points at the merged conclusion instead of repeating it.
    assert.equal(count(text, /▶ /), m.problemGroups.length);
    assert.equal(count(html, /<section class="card">/), m.findings.length, 'one card per connection');
  });
}

test('merged (synthetic): T ≤ 12.0 s at one end beside T ≤ 5.04 s at the other is one bracket, T ≤ 5.04 s, and one recommendation', () => {
  // The firewall (timeout 3 s) forgets the flow; the server's keepalive after 5.04 s meets its forged RST, and the
  // client, which never learns, writes after 12 s into the void.
  const client = { addr: '192.0.2.10', port: 40000 };
  const server = { addr: '198.51.100.10', port: 5432 };
  const T0 = 1_700_000_000_000_000_000n;
  const atServer = new TcpScript(client, server, [1000, 5000], T0);
  const atClient = new TcpScript(client, server, [1000, 5000], T0 + 50_000n);
  atServer.ttl = [60, 64];
  atClient.ttl = [64, 60];
  for (const s of [atServer, atClient]) {
    s.ipIds = [100, 2000];
    s.handshake().send(0, 10).ack(1).send(1, 20).ack(0);
  }
  atServer.wait(5.04).keepalive(1).rst(0, { ttl: 64 });
  atClient.wait(12).send(0, 7);
  for (let k = 0; k < 3; k++) atClient.wait(0.2 * 2 ** k).retransmit(0, 7);
  const pair = [files.write(buildPcap(atClient.packets, { nano: true })), files.write(buildPcap(atServer.packets, { nano: true }))];
  const { doc, text, html } = analyze(pair);
  const perFile = doc.files.map((f) => f.idleTimeouts.map((t) => Math.round(t.diedMinS! * 100) / 100));
  assert.deepEqual(perFile, [[12], [5.04]], 'each capture alone brackets the path its own way');
  const m = doc.merged!;
  assert.equal(m.idleTimeouts.length, 1);
  const t = itemAt(m.idleTimeouts, 0, 'bracket');
  assert.equal(t.diedMinS, itemAt(itemAt(doc.files, 1, 'server file').idleTimeouts, 0, 'server bracket').diedMinS);
  assert.ok(Math.abs(t.diedMinS! - 5.04) < 1e-3);
  assert.equal(t.connections, 1, 'the connection seen twice counts once');
  assert.ok(t.recommendation && t.recommendation.keepalive.timeS < 5.04, JSON.stringify(t.recommendation));
  assert.equal(m.findings.length, 1);
  const f = itemAt(m.findings, 0, 'finding');
  assert.equal(f.file, pair[1], "told from the server's capture, which caught the forged RST");
  assert.equal(itemAt(f.diagnosis.resets, 0, 'reset').attribution, 'middlebox');
  assert.deepEqual(
    f.alsoSeen.map((a) => a.file),
    [pair[0]],
  );
  assert.deepEqual(
    m.problemGroups.map((g) => [g.problem, g.side]),
    [[{ kind: 'reset', attribution: 'middlebox' }, 'client']],
  );
  assertFormatsAgree(m, text, html, 'synthetic');
  assert.doesNotMatch(text, /T ≤ 12\.0 s/, 'the longer bracket is gone from the text');
  assert.doesNotMatch(html, /T ≤ 12\.0 s/, 'and from the HTML, the card of the connection included');
});

test('merged: a single capture, or captures that share no connection, have none', () => {
  assert.equal(analyze([join(CAPTURES, 'fw-drop.server.pcap')]).doc.merged, null);
  assert.equal(analyze([join(CAPTURES, 'fw-drop.server.pcap'), join(CAPTURES, 'peer-abort.client.pcap')]).doc.merged, null);
});

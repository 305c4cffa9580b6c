import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeFiles } from '../src/diagnose/analyze-files.js';
import type { AnalysisReport } from '../src/model/analysis-report.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { connectionTimelines, type ConnectionTimeline } from '../src/report/connection-timeline.js';
import { MAX_TABLE_ROWS, MAX_TIMELINES, renderHtmlReport, timelineTargets } from '../src/render/html-report.js';
import { renderTimelineSvg } from '../src/render/svg-timeline.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { REPO, runKad } from './helpers/run-kad.js';
import { TcpScript } from './helpers/tcp-script.js';

const dir = mkdtempSync(join(tmpdir(), 'kad-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const capture = (name: string) => join(REPO, 'captures', name);
const EPOCH = /^\d+\.\d{9}$/;

/** What a page must never contain to stay self-contained: anything a browser would fetch. */
function assertSelfContained(page: string): void {
  assert.doesNotMatch(page, /\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  assert.doesNotMatch(page, /<script\b|<link\b|<img\b|<iframe\b|@import|url\(/i);
}

async function timelinesOf(file: string): Promise<{ report: ReturnType<typeof buildFileReport>; timelines: ConnectionTimeline[] }> {
  const { analyses, diagnoses } = await analyzeFiles([file], { diagnose: true });
  const report = buildFileReport(analyses[0]!, {}, diagnoses[0]);
  return { report, timelines: connectionTimelines(analyses[0]!, timelineTargets(report), report) };
}

test('timeline of a forged reset: SYN, the keepalive after the silence, the RST attributed to the middlebox', async () => {
  const { report, timelines } = await timelinesOf(capture('fw-reset-keepalive.server.pcap'));
  assert.deepEqual(
    timelines.map((t) => t.conn),
    report.diagnoses.map((d) => d.conn),
  );
  const t = timelines[0]!;
  assert.match(t.start, EPOCH);
  assert.match(t.end, EPOCH);
  assert.equal(t.omittedEvents, 0);
  const [syn] = t.events;
  assert.deepEqual([syn!.kind, syn!.dir, syn!.atS, syn!.idleBeforeS], ['syn', 'c2s', 0, 0]);
  const ka = t.events.find((e) => e.kind === 'keepalive')!;
  assert.equal(ka.dir, 's2c');
  assert.ok(ka.idleBeforeS > 3, `keepalive after ${ka.idleBeforeS} s of silence`);
  const rst = t.events.find((e) => e.kind === 'rst')!;
  assert.equal(rst.dir, 'c2s');
  assert.equal(rst.attribution, 'middlebox');
  assert.ok(rst.atS >= ka.atS && rst.atS <= t.durationS + 1e-9);
  for (let i = 1; i < t.events.length; i++) assert.ok(t.events[i]!.atS >= t.events[i - 1]!.atS, 'events in time order');
  assert.ok(t.events.every((e) => EPOCH.test(e.ts) && (e.kind === 'rst' || e.attribution === undefined)));
});

test('timeline of a black hole: unanswered keepalives, then the local stack gives up with its own RST', async () => {
  const { timelines } = await timelinesOf(capture('fw-drop.server.pcap'));
  const t = timelines[0]!;
  const probes = t.events.filter((e) => e.kind === 'keepalive');
  assert.ok(probes.length >= 2 && probes.every((e) => e.dir === 's2c'));
  assert.ok(probes[0]!.idleBeforeS > 3);
  assert.equal(
    t.events.some((e) => e.kind === 'keepalive_ack'),
    false,
  );
  const rst = t.events.find((e) => e.kind === 'rst')!;
  assert.deepEqual([rst.dir, rst.attribution], ['s2c', 'local-stack']);
});

test('SVG: lanes, seconds on the axis, labelled silence, the timeout line measured from the silence start, legend', () => {
  const t: ConnectionTimeline = {
    conn: 3,
    start: '1700000000.000000000',
    end: '1700000012.000000000',
    durationS: 12,
    omittedEvents: 0,
    events: [
      { frame: 1, ts: '1700000000.000000000', atS: 0, kind: 'syn', dir: 'c2s', idleBeforeS: 0 },
      { frame: 5, ts: '1700000002.000000000', atS: 2, kind: 'data', dir: 'c2s', idleBeforeS: 1.5 },
      { frame: 9, ts: '1700000012.000000000', atS: 12, kind: 'keepalive', dir: 's2c', idleBeforeS: 10 },
      { frame: 10, ts: '1700000012.000000000', atS: 12, kind: 'rst', dir: 'c2s', idleBeforeS: 0, attribution: 'middlebox' },
    ],
  };
  const svg = renderTimelineSvg(t, { label: 'conn <3> & "friends"', fatalFrame: 9, idleTimeout: { lowS: 6, highS: 10 } });
  assert.match(svg, /^<svg class="timeline" viewBox="0 0 1000 \d+"/);
  assert.ok(!svg.includes('<3>') && svg.includes('conn &#60;3&#62; &#38; &#34;friends&#34;'), 'label escaped');
  assert.match(svg, />client → server</);
  assert.match(svg, />server → client</);
  for (const s of ['0 s', '2 s', '10 s', '12 s']) assert.ok(svg.includes(`>${s}</text>`), `axis label ${s}`);
  assert.match(svg, />10.0 s idle</);
  assert.match(svg, /data-kind="rst" data-attribution="middlebox" data-frame="10"/);
  assert.match(svg, /fill="#d62728"/);
  // The silence ends at the keepalive (12 s) and lasted 10 s: T ≤ 10 s from its start lands on the keepalive.
  const dashed = /<line x1="([\d.]+)" y1="14" x2="([\d.]+)"[^>]*stroke-dasharray/.exec(svg);
  const keepalive = /data-kind="keepalive"[^>]*>(?:<title>[^<]*<\/title>)<path d="M([\d.]+) /.exec(svg);
  assert.ok(dashed && keepalive, 'timeout line and keepalive drawn');
  assert.equal(dashed[1], keepalive[1]);
  assert.match(svg, /inferred idle timeout 6.00 s &#60; T ≤ 10.0 s/);
  for (const legend of [
    'SYN (start)',
    'data',
    'keepalive probe',
    'RST forged by a middlebox',
    'silence it died of',
    'silence ≥ 1 s',
    'inferred idle timeout',
    'timeout bracket',
  ]) {
    assert.ok(svg.includes(`>${legend}</text>`), `legend: ${legend}`);
  }
  assert.ok(!svg.includes('RST from the peer'), 'the legend lists only what is drawn');
});

test('everything from a capture is escaped: file names, verdicts, evidence', () => {
  const doc = JSON.parse(runKad(['analyze', '--json', capture('fw-reset-keepalive.server.pcap')]).stdout) as AnalysisReport;
  const evil = '<img src=x onerror=alert(1)>&"\'';
  const f = doc.files[0]!;
  f.file = evil;
  f.diagnoses[0]!.verdict = `${evil} verdict`;
  f.diagnoses[0]!.resets[0]!.evidence[0]!.detail = `${evil} detail`;
  f.diagnoses[0]!.resets[0]!.evidence[0]!.caveat = `${evil} caveat`;
  f.error = `${evil} error`;
  const page = renderHtmlReport({ ...doc, files: [f] });
  assert.ok(!page.includes('<img'), 'no markup from the capture');
  const escaped = '&#60;img src=x onerror=alert(1)&#62;&#38;&#34;&#39;';
  for (const where of [' verdict', ' detail', ' caveat', ' error']) assert.ok(page.includes(escaped + where), `escaped${where}`);
  assertSelfContained(page);
});

test(`the connection table stops at ${MAX_TABLE_ROWS} rows and says how many are not listed`, () => {
  const doc = JSON.parse(runKad(['analyze', '--json', capture('fin-close.server.pcap')]).stdout) as AnalysisReport;
  const f = doc.files[0]!;
  const one = f.connections[0]!;
  f.connections = Array.from({ length: MAX_TABLE_ROWS + 25 }, (_, i) => ({ ...one, id: i + 1 }));
  const page = renderHtmlReport({ ...doc, files: [f] });
  assert.equal(page.match(/<tr class="/g)?.length, MAX_TABLE_ROWS);
  assert.match(page, /… 25 more connections not listed/);
});

test('kad analyze --html next to the text report and --json; a hostile file name stays text', () => {
  const name = join(dir, 'inc<b>&"7\'.pcap');
  copyFileSync(capture('fw-reset-keepalive.server.pcap'), name);
  const html = join(dir, 'report.html');
  const text = runKad(['analyze', name, '--html', html]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /reset by a middlebox/, 'the text report is still printed');
  const page = readFileSync(html, 'utf8');
  assert.ok(page.startsWith('<!DOCTYPE html>'));
  assert.ok(!page.includes('<b>&"7'), 'raw file name not in the page');
  assert.ok(page.includes('inc&#60;b&#62;&#38;&#34;7&#39;.pcap'));
  assert.equal(page.match(/<svg class="timeline"/g)?.length, 1);
  assertSelfContained(page);

  const html2 = join(dir, 'report2.html');
  const json = runKad(['analyze', '--json', '--html', html2, name]);
  assert.equal(json.status, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as AnalysisReport;
  assert.equal('timelines' in doc.files[0]!, false, '--json keeps its documented shape');
  assert.ok(existsSync(html2));

  const events = runKad(['analyze', '--events', '--html', join(dir, 'x.html'), name]);
  assert.notEqual(events.status, 0, '--events has no diagnosis to put in a page');
  const unwritable = runKad(['analyze', name, '--html', join(dir, 'no-such-dir', 'r.html')]);
  assert.notEqual(unwritable.status, 0);
  assert.match(unwritable.stderr, /cannot write/);
});

test('two captures: comparison with matched connections and clock offset; a healthy capture has no timeline', () => {
  const html = join(dir, 'two.html');
  const r = runKad(['analyze', capture('fw-reset-keepalive.client.pcap'), capture('fw-reset-keepalive.server.pcap'), '--html', html]);
  assert.equal(r.status, 0, r.stderr);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<h2>Captures compared<\/h2>/);
  assert.match(page, /Matched connections<\/dt><dd>1, by initial sequence numbers/);
  assert.match(page, /Clock offset<\/dt><dd>[^<]*second capture − first/);
  assert.match(page, /Also seen as #1 in [^<]*fw-reset-keepalive\.client\.pcap/);
  assert.equal(page.match(/<svg class="timeline"/g)?.length, 1, 'only the server view has a problem');

  const fin = join(dir, 'fin.html');
  assert.equal(runKad(['analyze', capture('fin-close.server.pcap'), '--html', fin]).status, 0);
  const ok = readFileSync(fin, 'utf8');
  assert.match(ok, /No connection was reset/);
  assert.doesNotMatch(ok, /<svg/);
});

test(`thousands of connections: at most ${MAX_TIMELINES} timelines, and the page says how many were left out`, () => {
  const pkts: TcpSpec[] = [];
  const resets = MAX_TIMELINES + 7;
  for (let i = 0; i < resets + 20; i++) {
    const s = new TcpScript(
      { addr: '192.0.2.10', port: 20000 + i },
      { addr: '198.51.100.10', port: 5432 },
      [1000 + i, 9000 + i],
      1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
      pkts,
    );
    s.ttl = [63, 64];
    s.handshake().send(0, 10).ack(1).wait(30);
    if (i < resets) s.keepalive(1).rst(0, { ttl: 64 });
    else s.keepalive(1).ack(0).fin(0).fin(1).ack(0);
  }
  pkts.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  const file = join(dir, 'many.pcap');
  writeFileSync(file, buildPcap(pkts, { nano: true }));
  const html = join(dir, 'many.html');
  const r = runKad(['analyze', file, '--html', html]);
  assert.equal(r.status, 0, r.stderr);
  const page = readFileSync(html, 'utf8');
  assert.equal(page.match(/<svg class="timeline"/g)?.length, MAX_TIMELINES);
  assert.match(page, new RegExp(`7 more problem connections left out`));
  assert.equal(page.match(/<tr class="problem">/g)?.length, resets, 'every problem connection is marked in the table');
  assert.equal(page.match(/<tr class="/g)?.length, resets + 20);
});

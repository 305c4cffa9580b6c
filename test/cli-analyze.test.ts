import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import type { AnalysisReport } from '../src/model/analysis-report.js';
import { buildArpFrame, buildPcap, rawFrame, type TcpSpec } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';
import { buildPcapRaw, PcapngWriter } from './helpers/capture-writer.js';
import { KAD, REPO, runKad } from './helpers/run-kad.js';
import { T0, twoConnections } from './helpers/two-connections.js';

const dir = mkdtempSync(join(tmpdir(), 'kad-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'two.pcap');
writeFileSync(file, buildPcap(twoConnections(), { nano: true }));

test('--json is one document with the documented per-connection fields', () => {
  const r = runKad(['analyze', '--json', file]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as AnalysisReport;
  assert.equal(doc.tool, 'keepalive-doctor');
  assert.equal(doc.files.length, 1);
  const f = doc.files[0]!;
  assert.equal(f.tcpPackets, f.frames);
  const [reset, healthy] = f.connections;
  assert.equal(reset!.ended.kind, 'reset');
  assert.equal(reset!.ended.by, 'client');
  assert.equal(reset!.server.port, 5432);
  assert.equal(healthy!.ended.kind, 'fin');
  assert.deepEqual(healthy!.keepalives, { sent: 1, answered: 1 });
  assert.match(reset!.start, /^\d+\.\d{9}$/);
});

test('filters: --port, --host and --conn keep connection numbers stable', () => {
  const byPort = JSON.parse(runKad(['analyze', '--json', '--port', '6379', file]).stdout) as AnalysisReport;
  assert.deepEqual(
    byPort.files[0]!.connections.map((c) => c.id),
    [2],
  );
  const byHost = JSON.parse(runKad(['analyze', '--json', '--host', '192.0.2.10', file]).stdout) as AnalysisReport;
  assert.deepEqual(
    byHost.files[0]!.connections.map((c) => c.id),
    [1],
  );
  const byConn = JSON.parse(runKad(['analyze', '--json', '--conn', '2', file]).stdout) as AnalysisReport;
  assert.deepEqual(
    byConn.files[0]!.connections.map((c) => c.client.addr),
    ['192.0.2.11'],
  );
  const ev = runKad(['analyze', '--events', '--conn', '1', file]).stdout.trim().split('\n');
  assert.ok(ev.length > 0 && ev.every((l) => (JSON.parse(l) as { conn: number }).conn === 1));
  const bad = runKad(['analyze', '--port', 'http', file]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /not a TCP port/);
});

test('reads gzip files and stdin', () => {
  const gz = join(dir, 'two.pcap.gz');
  writeFileSync(gz, gzipSync(buildPcap(twoConnections(), { nano: true })));
  const expected = JSON.parse(runKad(['analyze', '--json', file]).stdout) as AnalysisReport;
  const fromGz = JSON.parse(runKad(['analyze', '--json', gz]).stdout) as AnalysisReport;
  assert.deepEqual(fromGz.files[0]!.connections, expected.files[0]!.connections);
  assert.equal(fromGz.files[0]!.gzip, true);
  const fromStdin = runKad(['analyze', '--json', '-'], { input: buildPcap(twoConnections(), { nano: true }) });
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  const doc = JSON.parse(fromStdin.stdout) as AnalysisReport;
  assert.equal(doc.files[0]!.file, 'stdin');
  assert.deepEqual(doc.files[0]!.connections, expected.files[0]!.connections);
});

test('unknown link types are skipped with a count; no TCP at all is a clean error', () => {
  const w = new PcapngWriter().shb();
  w.idb({ linkType: 147 }); // LINKTYPE_USER0: nothing we can decode
  w.idb({ linkType: 1 });
  const pkts = twoConnections();
  for (const p of pkts) w.epb(1, rawFrame(p));
  w.epb(0, { data: Buffer.from('opaque'), tsNs: T0 });
  w.epb(0, { data: Buffer.from('opaque'), tsNs: T0 });
  const mixed = join(dir, 'mixed.pcapng');
  writeFileSync(mixed, w.toBuffer());
  const r = runKad(['analyze', '--json', mixed]);
  assert.equal(r.status, 0, r.stderr);
  const f = (JSON.parse(r.stdout) as AnalysisReport).files[0]!;
  assert.equal(f.skipped.unknownLinkType, 2);
  assert.equal(f.tcpPackets, pkts.length);

  const arpOnly = join(dir, 'arp.pcap');
  writeFileSync(arpOnly, buildPcapRawArp());
  const none = runKad(['analyze', arpOnly]);
  assert.equal(none.status, 2);
  assert.equal(none.stderr.trim().split('\n').length, 1);
  assert.match(none.stderr, /arp\.pcap: no TCP packets among 3 frames \(3 not ip\)/);
});

function buildPcapRawArp(): Buffer {
  const frames = [0, 1, 2].map((i) => ({ tsNs: BigInt(1_700_000_000 + i) * 1_000_000_000n, data: buildArpFrame() }));
  return buildPcapRaw(frames, { linkType: 1, snaplen: 65535 });
}

test('--json streams the same document as the in-process report, also filtered', async () => {
  const { analyzeFiles } = await import('../src/diagnose/analyze-files.js');
  const { buildFileReport } = await import('../src/report/build-file-report.js');
  const { buildMergedView } = await import('../src/report/merged-view.js');
  for (const args of [[], ['--port', '6379'], ['--conn', '1']]) {
    const r = runKad(['analyze', '--json', ...args, file]);
    assert.equal(r.status, 0, r.stderr);
    const filter = { ports: args[0] === '--port' ? [6379] : [], hosts: [], ids: args[0] === '--conn' ? [1] : [] };
    const run = await analyzeFiles([file], { diagnose: true });
    const files = run.analyses.map((a, i) => buildFileReport(a, filter, run.diagnoses[i]));
    const merged = buildMergedView(run, files);
    const doc = {
      tool: 'keepalive-doctor',
      version: (JSON.parse(r.stdout) as AnalysisReport).version,
      files,
      comparisons: run.comparisons,
      merged,
    };
    assert.equal(r.stdout, JSON.stringify(doc, null, 2) + '\n', `kad analyze --json ${args.join(' ')}`);
  }
});

test('the terminal report counts every connection but words only those it lists', () => {
  const r = runKad(['analyze', '--no-color', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2 connections: 1 reset, 1 fin/);
  assert.match(r.stdout, /Problem connections \(1\)/);
  // The listed problem connection carries its worded verdict and evidence.
  assert.match(r.stdout, /#1 192\.0\.2\.10:40000 → 198\.51\.100\.10:5432/);
  assert.match(r.stdout, /RST TTL 64/);
});

test('a reader that stops early (| head) ends kad quietly', () => {
  // Forty copies of the capture: far more output than a pipe buffers, so kad is still writing when head leaves.
  const many = Array.from({ length: 40 }, () => `'${file}'`).join(' ');
  for (const mode of ['--events', '--json', '']) {
    const r = spawnSync(
      'bash',
      ['-c', `'${process.execPath}' '${KAD}' analyze ${mode} ${many} | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`],
      { encoding: 'utf8' },
    );
    assert.equal(r.stdout.trim(), '0', `kad analyze ${mode}: ${r.stderr}`);
    assert.equal(r.stderr, '', `kad analyze ${mode}`);
  }
});

test('a missing file is one line naming it, not a stack trace', () => {
  const r = runKad(['analyze', join(dir, 'nope.pcap')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /nope\.pcap/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test(
  'no argument analyses the bundled capture of lab scenario 1',
  { skip: !existsSync(join(REPO, 'captures', 'fw-reset-keepalive.server.pcap')) && 'bundled capture not there yet' },
  () => {
    const r = runKad(['analyze']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /fw-reset-keepalive\.server\.pcap/);
    assert.match(r.stdout, /reset: RST claiming to be from the client/);
    assert.match(r.stdout, /was reset by a middlebox/);
  },
);

/** Thirteen connections to one server, each idle 5 s and then reset by a box one hop closer than the server (a forged RST). */
function thirteenForgedResets(): string {
  const pkts: TcpSpec[] = [];
  for (let i = 0; i < 13; i++) {
    const s = new TcpScript(
      { addr: '192.0.2.10', port: 41000 + i },
      { addr: '198.51.100.10', port: 5432 },
      [1000, 5000],
      T0 + BigInt(i) * 1_000_000_000n,
      pkts,
    );
    s.ttl = [63, 64];
    s.handshake().send(0, 10).ack(1).send(1, 20).ack(0).wait(5).keepalive(1);
    s.ttl = [64, 64];
    s.rst(0);
  }
  const f = join(dir, 'thirteen.pcap');
  writeFileSync(
    f,
    buildPcap(
      pkts.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0)),
      { nano: true },
    ),
  );
  return f;
}

test('identical problem connections are told once: the first in full, the others by number', () => {
  const f = thirteenForgedResets();
  const r = runKad(['analyze', '--no-color', f]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /13 connections like #1 \(same path, same verdict\); the others: #2, #3, .*#13; --conn N shows one in full/);
  assert.equal(r.stdout.match(/^ {2}#\d+ /gm)?.length, 1, 'one connection in full');
  assert.ok(r.stdout.split('\n').length < 40, `a short report, got ${r.stdout.split('\n').length} lines`);
});

test('filters also filter paths and their recommendations; a --conn that does not exist is one line, exit 2', () => {
  const f = thirteenForgedResets();
  const all = runKad(['analyze', '--no-color', f]);
  assert.match(all.stdout, /Idle timeout of the path to 198\.51\.100\.10:5432/);
  const other = runKad(['analyze', '--no-color', '--port', '9999', f]);
  assert.equal(other.status, 0, other.stderr);
  assert.doesNotMatch(other.stdout, /198\.51\.100\.10|recommendation/);
  const json = JSON.parse(runKad(['analyze', '--json', '--port', '9999', f]).stdout) as AnalysisReport;
  assert.deepEqual(json.files[0]!.idleTimeouts, []);
  const byClientPort = runKad(['analyze', '--no-color', '--port', '41003', f]);
  assert.match(byClientPort.stdout, /Idle timeout of the path to 198\.51\.100\.10:5432/, "a client port's connection keeps its path");
  const missing = runKad(['analyze', '--conn', '99', f]);
  assert.equal(missing.status, 2);
  assert.equal(missing.stdout, '');
  assert.match(
    missing.stderr,
    /^kad: --conn 99: no such connection in .*thirteen\.pcap; kad analyze without --conn lists them with their numbers\n$/,
  );
});

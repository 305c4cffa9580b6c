/**
 * Real encapsulated captures from this kernel, checked per packet against
 * tshark (issue 21, "Decode coverage"): a VXLAN tunnel between two namespaces
 * of our own, captured on the underlay (what AWS Traffic Mirroring or Azure
 * vTAP hand over), and an nftables `log group` rule captured with
 * `tcpdump -i nflog:N` (the firewall's own view). Real Linux stacks talk
 * through them: a connection with keepalives closed by FIN, and one the
 * server resets. The inner flows must be kad's connections, with the
 * verdicts kad gives the same traffic captured inside the tunnel, and the
 * tunnel tally must name the tunnel.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { labSkip } from '../helpers/lab-gate.js';
import { namespacesLeft } from '../helpers/namespaces-left.js';
import { kadEvents, kadReport, runKad } from '../helpers/run-kad.js';
import { tempCaptures } from '../helpers/temp-captures.js';
import { innerOf, tsharkInner } from '../helpers/tshark-inner.js';
import { compareWithTshark } from '../helpers/tshark-oracle.js';
import type { AnalysisReport } from '../../src/model/analysis-report.js';

const skip = labSkip(import.meta.url, { root: 'network namespaces', tools: ['ip', 'nft', 'tcpdump', 'tshark'] });
/** KAD_ENCAP_KEEP=DIR keeps the three captures in DIR, to look at them after a failure. */
const tmp = process.env.KAD_ENCAP_KEEP ? { dir: process.env.KAD_ENCAP_KEEP } : tempCaptures('kad-encap-lab-', 'pcap');

const PREFIX = `encap-${process.pid}-`;
const NS_A = `${PREFIX}a`;
const NS_B = `${PREFIX}b`;
const UNDER_A = '203.0.113.1';
const UNDER_B = '203.0.113.2';
const OVER_A = '192.0.2.1';
const OVER_B = '192.0.2.2';
const VNI = 42;
const NFLOG_GROUP = 7;
const NFLOG_PREFIX = 'kad-encap-lab';
const PORT = 5432;

function inNs(ns: string, ...cmd: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function setUp(): void {
  execFileSync('ip', ['netns', 'add', NS_A]);
  execFileSync('ip', ['netns', 'add', NS_B]);
  execFileSync('ip', ['link', 'add', 'ua', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'ub', 'netns', NS_B]);
  for (const [ns, dev, under, over, remote] of [
    [NS_A, 'ua', UNDER_A, OVER_A, UNDER_B],
    [NS_B, 'ub', UNDER_B, OVER_B, UNDER_A],
  ] as const) {
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns, 'ip', 'addr', 'add', `${under}/24`, 'dev', dev);
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
    inNs(
      ns,
      'ip',
      'link',
      'add',
      'vx0',
      'type',
      'vxlan',
      'id',
      String(VNI),
      'dstport',
      '4789',
      'remote',
      remote,
      'local',
      under,
      'dev',
      dev,
    );
    inNs(ns, 'ip', 'addr', 'add', `${over}/24`, 'dev', 'vx0');
    inNs(ns, 'ip', 'link', 'set', 'vx0', 'up');
  }
  // The firewall's log rules: every TCP packet of the server's, both ways, as the firewall saw it, each sent
  // to the log at once (by default the kernel batches them for up to a second: a capture stopped then loses them).
  const log = `log prefix "${NFLOG_PREFIX}" group ${NFLOG_GROUP} queue-threshold 1`;
  const rules = `table inet encap_lab {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport ${PORT} ${log}
  }
  chain output {
    type filter hook output priority 0; policy accept;
    tcp sport ${PORT} ${log}
  }
}`;
  const r = spawnSync('ip', ['netns', 'exec', NS_B, 'nft', '-f', '-'], { input: rules });
  if (r.status !== 0) throw new Error(`nft: ${r.stderr.toString()}`);
}

function tearDown(): void {
  spawnSync('ip', ['netns', 'exec', NS_B, 'nft', 'delete', 'table', 'inet', 'encap_lab']);
  for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
}

/** tcpdump in `ns`, writing `file`; resolves once it listens. */
async function startCapture(ns: string, args: string[], file: string): Promise<ChildProcess> {
  // Immediate mode: otherwise packets wait in the kernel's ring for up to a second, and a capture stopped then loses them.
  const p = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '--immediate-mode', '-U', '-s', '0', '-w', file, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`tcpdump ${args.join(' ')} exited ${code}: ${err}`)));
  });
  return p;
}

async function stopCapture(p: ChildProcess): Promise<void> {
  const done = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGINT');
  await done;
}

/** The server: echo, except that the second connection is reset as soon as it speaks. */
const SERVER = `
const net = require('node:net');
let n = 0;
const srv = net.createServer((s) => {
  const mine = ++n;
  s.on('data', (d) => (mine === 2 ? s.resetAndDestroy() : s.write(d)));
  s.on('error', () => {});
  s.on('end', () => s.end());
});
srv.listen(${PORT}, '${OVER_B}', () => process.stdout.write('ready\\n'));
setTimeout(() => srv.close(), 15000).unref();
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** The client: keepalives after 1 s of silence, 3.5 s idle, FIN; then a connection the server resets. */
const CLIENT = `
const net = require('node:net');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const a = net.connect(${PORT}, '${OVER_B}');
  a.setKeepAlive(true, 1000);
  await new Promise((r) => a.once('connect', r));
  a.write('hello');
  await new Promise((r) => a.once('data', r));
  await sleep(3500);
  a.end();
  await new Promise((r) => a.once('close', r));
  const b = net.connect(${PORT}, '${OVER_B}');
  b.on('error', () => {});
  await new Promise((r) => b.once('connect', r));
  b.write('x');
  await new Promise((r) => b.once('close', r));
})();
`;

async function converse(): Promise<void> {
  const server = spawn('ip', ['netns', 'exec', NS_B, process.execPath, '-e', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const c = spawnSync('ip', ['netns', 'exec', NS_A, process.execPath, '-e', CLIENT], { timeout: 30_000, encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    // Let the last packets reach the captures.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    const gone = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.stdin!.end();
    await gone;
  }
}

/** What the same traffic must give wherever it was captured. */
function connectionsOf(r: AnalysisReport): unknown[] {
  const f = r.files[0]!;
  return f.connections.map((c) => ({
    client: c.client,
    server: c.server,
    ended: c.ended.kind,
    by: c.ended.by,
    keepalives: c.keepalives,
    verdict: f.diagnoses.find((d) => d.conn === c.id)?.resets.map((v) => v.attribution) ?? null,
  }));
}

const kinds = (evs: Array<Record<string, unknown>>) =>
  evs.map((e) => `${String(e.conn)} ${String(e.dir)} ${String(e.kind)} ${String(e.flags)} ${String(e.len)}`);

describe('real VXLAN and NFLOG captures from this kernel', { skip }, () => {
  const files = { underlay: join(tmp.dir, 'underlay.pcap'), overlay: join(tmp.dir, 'overlay.pcap'), nflog: join(tmp.dir, 'nflog.pcap') };

  before(async () => {
    setUp();
    const caps = [
      await startCapture(NS_A, ['-i', 'ua', 'udp', 'port', '4789'], files.underlay),
      await startCapture(NS_A, ['-i', 'vx0', 'tcp'], files.overlay),
      await startCapture(NS_B, ['-i', `nflog:${NFLOG_GROUP}`], files.nflog),
    ];
    try {
      await converse();
    } finally {
      for (const c of caps) await stopCapture(c);
    }
  });

  after(() => {
    tearDown();
    assert.deepEqual(namespacesLeft(PREFIX), [], 'the namespaces are gone');
  });

  test('VXLAN on the underlay: every packet as tshark reads it; the connections of the capture inside the tunnel', () => {
    assert.deepEqual(compareWithTshark(files.underlay), []);
    const ours = kadEvents(files.underlay);
    const theirs = tsharkInner(files.underlay, false);
    assert.equal(ours.length, theirs.size);
    assert.ok(ours.some((e) => e.kind === 'keepalive') && ours.some((e) => e.kind === 'rst'), 'keepalives and a reset were captured');
    for (const e of ours) assert.deepEqual(innerOf(e), theirs.get(e.frame as number), `frame ${String(e.frame)}`);
    // The same packets, kinds and connections as captured on the tunnel interface itself.
    assert.deepEqual(kinds(ours), kinds(kadEvents(files.overlay)));
    const under = kadReport(files.underlay);
    assert.deepEqual(connectionsOf(under), connectionsOf(kadReport(files.overlay)));
    const f = under.files[0]!;
    const tally = f.tunnels.listed.map((t) => `${t.kind} ${t.id} ${t.outerSrc} → ${t.outerDst}`).sort();
    assert.deepEqual(tally, [`vxlan ${VNI} ${UNDER_A} → ${UNDER_B}`, `vxlan ${VNI} ${UNDER_B} → ${UNDER_A}`]);
    assert.equal(
      f.tunnels.listed.reduce((n, t) => n + t.packets, 0),
      f.tcpPackets,
    );
    assert.match(
      runKad(['analyze', files.underlay]).stdout,
      new RegExp(`tunnels: vxlan VNI ${VNI} ${UNDER_A} → ${UNDER_B}: \\d+ TCP packets`),
    );
  });

  test("NFLOG: the firewall's view, every packet as tshark reads it, the rule's prefix in the tally", () => {
    assert.deepEqual(compareWithTshark(files.nflog), []);
    const ours = kadEvents(files.nflog);
    const theirs = tsharkInner(files.nflog, false);
    assert.ok(ours.length > 0);
    assert.equal(ours.length, theirs.size);
    for (const e of ours) assert.deepEqual(innerOf(e), theirs.get(e.frame as number), `frame ${String(e.frame)}`);
    // The rules log what the server receives and sends: the packets of the capture inside the tunnel.
    const packets = (evs: Array<Record<string, unknown>>) => evs.map((e) => JSON.stringify(innerOf(e))).sort();
    assert.deepEqual(packets(ours), packets(kadEvents(files.overlay)));
    const f = kadReport(files.nflog).files[0]!;
    assert.deepEqual(f.tunnels, {
      listed: [{ kind: 'nflog', id: NFLOG_GROUP, outerSrc: null, outerDst: null, prefix: NFLOG_PREFIX, packets: f.tcpPackets }],
      otherPackets: 0,
    });
  });
});

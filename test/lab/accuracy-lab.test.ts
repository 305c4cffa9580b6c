/**
 * Issue 21's adversarial lab scenarios on live kernels: first that each run
 * is what it claims, read with tshark (not kad), then what kad says about
 * every RST from each capture alone and from both, against the truth.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { analyzeCapture } from '../../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../../src/diagnose/diagnose-capture.js';
import { compareCaptures } from '../../src/diagnose/two-sided.js';
import { ACCURACY_SCENARIOS } from '../../lab/scenarios/index.js';
import { scenarioVerdicts, type VerdictRow } from '../../lab/verdicts/scenario-verdicts.js';
import { readTruth } from '../../lab/verify/verify-output.js';
import type { LabTruth } from '../../lab/truth.js';
import { labSkip } from '../helpers/lab-gate.js';
import { namespacesLeft } from '../helpers/namespaces-left.js';

const RUN_LAB = fileURLToPath(new URL('../../lab/run-lab.js', import.meta.url));
const skip = labSkip(import.meta.url, { lab: true, tools: ['tshark'] });

function runLab(args: string[]): Promise<{ code: number | null; pid: number | undefined; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [RUN_LAB, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, pid: child.pid, output: stdout + stderr });
    });
  });
}

/** The header fields that make these scenarios what they are, as tshark decodes them. */
interface Pkt {
  src: string;
  ttl: number;
  ipId: number;
  flags: number;
  len: number;
  seq: number;
}
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

function packets(file: string): Pkt[] {
  const fields = ['ip.src', 'ip.ttl', 'ip.id', 'tcp.flags', 'tcp.len', 'tcp.seq_raw'];
  const out = execFileSync(
    'tshark',
    ['-r', file, '-n', '-Y', 'tcp', '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])],
    // tshark's warning about running as root is noise here.
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [src, ttl, ipId, flags, len, seq] = line.split('|');
      return { src: src!, ttl: Number(ttl), ipId: Number(ipId), flags: Number(flags), len: Number(len), seq: Number(seq) };
    });
}

const rsts = (ps: Pkt[]): Pkt[] => ps.filter((p) => (p.flags & RST) !== 0);

/** Checks, from the packets alone, that the lab did what the scenario says. */
const SHAPE: Record<string, (dir: string, truth: LabTruth) => void> = {
  'fw-reset-dropped-abort': (dir, truth) => {
    const [abort] = rsts(packets(join(dir, truth.captures.client)));
    const [forged] = rsts(packets(join(dir, truth.captures.server)));
    assert.ok(abort && forged, 'a RST at each edge');
    assert.equal(abort.flags & ACK, ACK, "the client's abort carries ACK");
    assert.equal(forged.flags & ACK, 0, 'the forgery does not');
    assert.equal(abort.seq, forged.seq, "the client's own RST has the forgery's sequence number");
    assert.equal(forged.ttl, 64, "the forgery left the firewall, 0 hops from the server's capture");
  },
  'fw-reset-ttl-disguised': (dir, truth) => {
    const ps = packets(join(dir, truth.captures.server));
    const client = ps.filter((p) => p.src === truth.connections[0]!.edges.server.client.addr);
    const [forged] = rsts(client);
    assert.ok(forged, 'a RST in the client name at the server');
    const genuine = new Set(client.filter((p) => (p.flags & RST) === 0).map((p) => p.ttl));
    assert.deepEqual([...genuine], [forged.ttl], "the forgery arrives with the client's TTL, the only one its packets have");
  },
  'synproxy-reset-keepalive': (dir, truth) => proxied(dir, truth, 'server'),
  'synproxy-reset-client-write': (dir, truth) => proxied(dir, truth, 'client'),
};

/** At `edge`, the far side's handshake and the RST come from the firewall (TTL 64, IP ID 0), its payload from a hop farther. */
function proxied(dir: string, truth: LabTruth, edge: 'client' | 'server'): void {
  const view = truth.connections[0]!.edges[edge];
  const far = packets(join(dir, truth.captures[edge])).filter((p) => p.src === (edge === 'server' ? view.client : view.server).addr);
  const handshake = far.find((p) => (p.flags & SYN) !== 0);
  const data = far.filter((p) => p.len > 0 && (p.flags & (SYN | RST)) === 0);
  const [rst] = rsts(far);
  assert.ok(handshake && rst && data.length > 0, 'handshake, data and a RST from the far side');
  assert.deepEqual([handshake.ttl, handshake.ipId], [64, 0], 'the SYN proxy answered the handshake');
  assert.deepEqual([...new Set(data.map((p) => p.ttl))], [63], "the far host's data, one hop away");
  assert.deepEqual([rst.ttl, rst.ipId], [handshake.ttl, handshake.ipId], "the RST continues the handshake's TTL and IP ID");
}

function cellsText(rows: VerdictRow[]): string {
  return JSON.stringify(rows.map((r) => [r.reset, r.cells]));
}

for (const spec of ACCURACY_SCENARIOS) {
  test(`accuracy lab ${spec.name}: the run is what it claims, and no verdict misses the truth`, { skip }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), `kad-accuracy-${spec.name}-`));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const run = await runLab([spec.name, '--out', out]);
    assert.equal(run.code, 0, `lab run failed:\n${run.output}`);
    assert.deepEqual(namespacesLeft(`kad-${run.pid}-`), [], 'the lab left namespaces behind');
    const truth = await readTruth(out, spec.name);
    SHAPE[spec.name]!(out, truth);

    const rows = await scenarioVerdicts(out, truth);
    const all = rows.flatMap((r) => [...r.cells.client, ...r.cells.server, ...r.cells.both]);
    assert.ok(all.length > 0, 'no RST verdict at all');
    assert.deepEqual(
      all.filter((v) => v.grade === 'miss'),
      [],
      cellsText(rows),
    );
    // Both captures together decide every RST.
    for (const v of rows.flatMap((r) => r.cells.both)) assert.equal(v.attribution, v.expected, cellsText(rows));
    // One capture alone: right, or unknown with the deciding step named; never the peer for a forgery.
    for (const v of rows.flatMap((r) => [...r.cells.client, ...r.cells.server])) {
      if (v.attribution !== v.expected) assert.ok(v.attribution === 'unknown' && v.namesDecidingStep, cellsText(rows));
    }
    await EVIDENCE[spec.name]?.(out, truth);
  });
}

/** The evidence each scenario is about, where the verdict alone does not show it. */
const EVIDENCE: Record<string, (dir: string, truth: LabTruth) => Promise<void>> = {
  // Item 1: the client's own later RST must not make the forgery 'peer'; the TTL still says middlebox.
  'fw-reset-dropped-abort': async (dir, truth) => {
    const [client, server] = await Promise.all([
      analyzeCapture(join(dir, truth.captures.client)),
      analyzeCapture(join(dir, truth.captures.server)),
    ]);
    const [v] = diagnoseCapture(server, compareCaptures(client, server).cross[1]).diagnoses.flatMap((d) => d.resets);
    const say = JSON.stringify(v?.evidence);
    assert.equal(v?.evidence.find((e) => e.signal === 'ttl')?.pointsTo, 'middlebox', say);
    assert.deepEqual(
      v?.evidence.filter((e) => e.signal === 'two-sided').map((e) => [e.pointsTo, e.strength]),
      [['middlebox', 'decisive']],
      say,
    );
  },
  // Item 2: from the server alone, the socketless signal names what decides it.
  'fw-reset-ttl-disguised': async (dir, truth) => {
    const [v] = diagnoseCapture(await analyzeCapture(join(dir, truth.captures.server))).diagnoses.flatMap((d) => d.resets);
    assert.match(
      v?.evidence.find((e) => e.signal === 'socketless')?.caveat ?? '',
      /analyze both captures together\) or kad watch --kernel/,
    );
  },
  'synproxy-reset-keepalive': proxyNamed,
  'synproxy-reset-client-write': proxyNamed,
};

/** From the RST's own capture alone, the proxy signal says whose RST it is: the handshake's sender's. */
async function proxyNamed(dir: string, truth: LabTruth): Promise<void> {
  const edge = truth.connections[0]!.resets[0]!.seenAt[0]!;
  const [v] = diagnoseCapture(await analyzeCapture(join(dir, truth.captures[edge]))).diagnoses.flatMap((d) => d.resets);
  const proxy = v?.evidence.find((e) => e.signal === 'proxy');
  assert.equal(proxy?.pointsTo, 'middlebox', JSON.stringify(v?.evidence));
  assert.match(proxy.detail, /(SYN|SYN-ACK) arrived with TTL 64, its data with 63/);
}

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';

// A live view words only the verdicts it has not emitted yet, in the same
// diagnosis that decides them (explainIf): those must read exactly as a fully
// worded diagnosis has them, and the others stay unworded.

const dir = mkdtempSync(join(tmpdir(), 'kad-explain-if-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVER = { addr: '198.51.100.10', port: 5432 };
const T0 = 1_700_000_000_000_000_000n;

test('explainIf words the chosen connections as explain does, and only those', async () => {
  const packets: TcpSpec[] = [];
  for (let i = 0; i < 3; i++) {
    const s = new TcpScript({ addr: '192.0.2.10', port: 40000 + i }, SERVER, [1000 + i, 5000 + i], T0 + BigInt(i) * 1_000_000n);
    s.handshake()
      .send(0, 10)
      .ack(1)
      .wait(30)
      .send(0, 10)
      .rst(1, { ttl: 50 + i });
    for (const p of s.packets) packets.push(p);
  }
  packets.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  const file = join(dir, 'three-resets.pcap');
  writeFileSync(file, buildPcap(packets, { link: 'ether', nano: true }));
  const analysis = await analyzeCapture(file);

  const worded = diagnoseCapture(analysis).diagnoses;
  const quiet = diagnoseCapture(analysis, undefined, { explain: false }).diagnoses;
  const asked: number[] = [];
  const mixed = diagnoseCapture(analysis, undefined, {
    explain: false,
    explainIf: (conn) => {
      asked.push(conn);
      return conn === 2;
    },
  }).diagnoses;

  assert.equal(worded.length, 3, 'three reset connections');
  assert.deepEqual(asked, [1, 2, 3], 'asked once per diagnosed connection');
  assert.notEqual(worded[1]!.verdict, '', 'a worded verdict has words');
  assert.deepEqual(mixed, [quiet[0], worded[1], quiet[2]]);
});

/** `kad analyze` output held against tshark and fed by tcpdump; the rest of the CLI is in test/cli-analyze.test.ts. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AnalysisReport } from '../../src/model/analysis-report.js';
import { buildPcap } from '../helpers/capture-builder.js';
import { labSkip } from '../helpers/lab-gate.js';
import { KAD, runKad } from '../helpers/run-kad.js';
import { twoConnections } from '../helpers/two-connections.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const noTcpdump = labSkip(import.meta.url, { tools: ['tcpdump'] });

const dir = mkdtempSync(join(tmpdir(), 'kad-cli-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'two.pcap');
writeFileSync(file, buildPcap(twoConnections(), { nano: true }));

test('--events: one JSON object per TCP packet, frames and timestamps as tshark numbers them', { skip: noTshark }, () => {
  const r = runKad(['analyze', '--events', file]);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const ts = execFileSync('tshark', [
    '-n',
    '-r',
    file,
    '-T',
    'fields',
    '-e',
    'frame.number',
    '-e',
    'frame.time_epoch',
    '-e',
    'ip.ttl',
    '-e',
    'tcp.len',
  ])
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  assert.equal(events.length, ts.length);
  for (let i = 0; i < ts.length; i++) {
    const e = events[i]!;
    const [frame, epoch, ttl, len] = ts[i]!;
    assert.equal(e.frame, Number(frame));
    assert.equal(e.ts, epoch, `frame ${frame}`); // nanosecond precision, as tshark prints it
    assert.equal(e.ttl, Number(ttl));
    assert.equal(e.len, Number(len));
    for (const key of ['conn', 'dir', 'kind', 'flags', 'seq', 'ack']) assert.ok(key in e, `${key} missing`);
  }
  const kinds = events.map((e) => e.kind);
  assert.ok(kinds.includes('keepalive') && kinds.includes('keepalive_ack') && kinds.includes('rst'));
});

test('reads a live tcpdump-style pipe on stdin', { skip: noTcpdump }, () => {
  const piped = spawnSync('sh', ['-c', `tcpdump -r '${file}' -w - 2>/dev/null | '${process.execPath}' '${KAD}' analyze --json -`]);
  assert.equal(piped.status, 0, piped.stderr.toString());
  const viaTcpdump = JSON.parse(piped.stdout.toString()) as AnalysisReport;
  assert.equal(viaTcpdump.files[0]!.connections.length, 2);
});

/**
 * The scale harness's churn stream (bench/scale/churn-stream.ts) writes what
 * its ground truth says: kad's own reader finds every connection, and the
 * keepalives, keepalive ACKs and forged RSTs at the frames the generator
 * recorded, with the RSTs attributed to a middlebox and the idle timeout
 * bracketed between the keepalive interval and the death idle.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AnalysisReport } from '../src/model/analysis-report.js';
import { writeChurn } from '../bench/scale/churn-stream.js';
import type { ChurnOptions, ChurnTruth } from '../bench/scale/churn-generator.js';
import { runKad } from './helpers/run-kad.js';
import { tempCaptures } from './helpers/temp-captures.js';

const CHURN = fileURLToPath(new URL('../bench/scale/churn-stream.js', import.meta.url));
const captures = tempCaptures('kad-churn-', 'pcap');

/** 70 capture seconds at 1 000 packets/s: keepalives every 10 s, one round of deaths after 30 s idle. */
const SMALL: Partial<ChurnOptions> = { packets: 70_000, ratePps: 1000, keepaliveS: 10, deathIdleS: 30, recordFrames: true };

async function generate(o: Partial<ChurnOptions>): Promise<{ file: string; truth: ChurnTruth }> {
  const file = captures.write(Buffer.alloc(0));
  const out = createWriteStream(file);
  const { truth } = await writeChurn(out, o);
  out.end();
  await once(out, 'finish');
  return { file, truth };
}

test('the generator is deterministic: same seed, same bytes', async () => {
  const a = await generate({ ...SMALL, packets: 20_000 });
  const b = await generate({ ...SMALL, packets: 20_000 });
  assert.ok(readFileSync(a.file).equals(readFileSync(b.file)));
});

test('kad --events finds every keepalive, keepalive ACK and RST at the frames the generator wrote them', async () => {
  const { file, truth } = await generate(SMALL);
  assert.equal(truth.packets, SMALL.packets);
  assert.ok(truth.keepalives > 100, `expected keepalives, got ${truth.keepalives}`);
  assert.ok(truth.forgedRsts >= 10, `expected forged RSTs, got ${truth.forgedRsts}`);
  const r = runKad(['analyze', '--events', file]);
  assert.equal(r.status, 0, r.stderr);
  const byKind = new Map<string, number[]>();
  let events = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    events++;
    const e = JSON.parse(line) as { frame: number; kind: string };
    if (e.kind === 'keepalive' || e.kind === 'keepalive_ack' || e.kind === 'rst') {
      const list = byKind.get(e.kind) ?? [];
      list.push(e.frame);
      byKind.set(e.kind, list);
    }
  }
  assert.equal(events, truth.packets);
  assert.deepEqual(byKind.get('keepalive'), truth.keepaliveFrames);
  assert.deepEqual(byKind.get('keepalive_ack'), truth.keepaliveAckFrames);
  assert.deepEqual(byKind.get('rst'), truth.rstFrames);
});

test('kad --json: connections, endings, middlebox resets and the idle-timeout bracket match the truth', async () => {
  const { file, truth } = await generate(SMALL);
  const r = runKad(['analyze', '--json', file]);
  assert.equal(r.status, 0, r.stderr);
  const f = (JSON.parse(r.stdout) as AnalysisReport).files[0]!;
  assert.equal(f.tcpPackets, truth.packets);
  // Every SYN is a new 4-tuple, so kad sees exactly one connection per SYN.
  assert.equal(f.connectionCounts.total, truth.shortStarted + truth.longStarted);
  assert.equal(f.connectionCounts.byEnd.fin, truth.shortClosed);
  assert.equal(f.connectionCounts.byEnd.reset, truth.forgedRsts);
  const resets = f.diagnoses.flatMap((d) => d.resets);
  assert.equal(resets.length, truth.forgedRsts);
  assert.ok(
    resets.every((v) => v.attribution === 'middlebox' && v.claimedSender === 'server'),
    'every forged RST is put on a middlebox',
  );
  const path = f.idleTimeouts.find((p) => p.path === '203.0.113.10:5432');
  assert.ok(path, 'an idle-timeout bracket for the long-lived connections');
  assert.equal(path.died, truth.forgedRsts);
  assert.ok(path.consistent);
  assert.ok(path.survivedMaxS !== null && path.survivedMaxS >= 9.9 && path.survivedMaxS <= 10.1, `survived ${path.survivedMaxS}`);
  assert.ok(path.diedMinS !== null && path.diedMinS >= 30 && path.diedMinS < 31, `died ${path.diedMinS}`);
});

test('the CLI stops quietly with status 0 when its reader goes away (EPIPE)', async () => {
  const gen = spawn(process.execPath, [CHURN], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  gen.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let got = 0;
  for await (const chunk of gen.stdout) {
    got += (chunk as Buffer).length;
    if (got > 1_000_000) break; // leaving the loop destroys our end of the pipe
  }
  const [code] = (await once(gen, 'close')) as [number | null];
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});

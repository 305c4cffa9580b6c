import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { CapturePipeline, type CaptureAnalysis } from '../src/analyze/analyze-capture.js';
import { readCapture } from '../src/capture/read-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import type { FileReport } from '../src/model/analysis-report.js';
import { buildFileReport, type ConnectionFilter } from '../src/report/build-file-report.js';
import { ConnectionRetirer } from '../src/report/connection-retirer.js';
import { makeStyle } from '../src/render/style.js';
import { MAX_LISTED, renderFileReport } from '../src/render/text-report.js';
import { tempCaptures } from './helpers/temp-captures.js';

// Eviction may forget a connection only after tallying everything a report
// says about it: a run that evicts every ended connection as soon as it may
// must report exactly what a run that holds everything reports.

const tmp = tempCaptures('kad-evict-', 'pcap');
const busy = join(tmp.dir, 'busy.pcap');
generateBusyCapture(busy, { connections: 3000, seed: 11, snaplen: 128, prefixFrames: 0 });
const capturesDir = new URL('../../captures/', import.meta.url).pathname;
const labCaptures = readdirSync(capturesDir)
  .filter((f) => f.endsWith('.pcap'))
  .map((f) => join(capturesDir, f));

async function analyse(file: string, retirer: ConnectionRetirer | null): Promise<CaptureAnalysis> {
  // Every packet through onPacket (an onTcpPacket consumer), so the evictor is asked every few thousand packets.
  const pipeline = new CapturePipeline(file, {
    onTcpPacket: () => {},
    evictor: retirer ? { afterRun: (p) => void retirer.retire(p.analysis()) } : undefined,
  });
  const summary = await readCapture(file, pipeline.onPacket, pipeline.readOptions());
  // And once at the end: what ended by then is tallied, the rest is still held.
  if (retirer) retirer.retire(pipeline.analysis(summary));
  return pipeline.analysis(summary);
}

/** As kad analyze builds them: the terminal report words only what it lists, --json (no list limit) every verdict. */
async function reports(file: string, filter: ConnectionFilter, listLimit: number | undefined, keep: number) {
  const explain = listLimit === undefined;
  const held = await analyse(file, null);
  const whole = buildFileReport(held, filter, diagnoseCapture(held, undefined, { explain }), listLimit);
  const retirer = new ConnectionRetirer(filter, keep);
  const evicting = await analyse(file, retirer);
  const bounded = buildFileReport(evicting, filter, diagnoseCapture(evicting, undefined, { explain }), listLimit, retirer.tally);
  return { whole, bounded, held: evicting.tracker.connectionCount };
}

function withoutEviction(r: FileReport): FileReport {
  return { ...r, evicted: null };
}

/**
 * What the terminal report prints must be the same: everything but the
 * verdicts of connections it does not list (a full run keeps them unworded,
 * an evicting one only counts them) and the line saying what was evicted.
 */
function assertSamePrinted(bounded: FileReport, whole: FileReport, what: string): void {
  const listed = new Set(whole.connections.map((c) => c.id));
  const printed = (r: FileReport): FileReport => ({ ...r, evicted: null, diagnoses: r.diagnoses.filter((d) => listed.has(d.conn)) });
  assert.deepEqual(printed(bounded), printed(whole), what);
  const text = (r: FileReport): string[] =>
    renderFileReport(r, makeStyle(false))
      .split('\n')
      .filter((l) => !l.includes('--max-memory'));
  assert.deepEqual(text(bounded), text(whole), what);
}

test('a busy capture reports the same whether ended connections are evicted or held', async () => {
  const { whole, bounded, held } = await reports(busy, {}, MAX_LISTED, MAX_LISTED);
  assert.ok(bounded.evicted && bounded.evicted.connections > 1000, `evicted ${JSON.stringify(bounded.evicted)}`);
  assert.equal(held + bounded.evicted.connections, whole.connectionCounts.total, 'every connection is either held or was evicted');
  assert.ok(whole.problemGroups.length > 3 && whole.idleTimeouts.length > 0);
  assertSamePrinted(bounded, whole, busy);
});

test('with a filter, the evicted connections are counted and listed by the same rule', async () => {
  const filter = { ports: [443, 7443] };
  const { whole, bounded } = await reports(busy, filter, MAX_LISTED, MAX_LISTED);
  assert.ok(bounded.evicted && whole.connectionCounts.total < 3000 && whole.connectionCounts.total > 0);
  assertSamePrinted(bounded, whole, busy);
});

test('--json keeps every evicted connection in full while they fit', async () => {
  const { whole, bounded } = await reports(busy, {}, undefined, 10_000);
  assert.equal(bounded.connections.length, 3000);
  assert.equal(bounded.evicted?.diagnosesNotKept, 0);
  assert.deepEqual(withoutEviction(bounded), whole);
});

test('past what it may keep, an evicted run lists the first ones and counts the rest', async () => {
  const keep = 50;
  const { whole, bounded } = await reports(busy, {}, undefined, keep);
  const e = bounded.evicted!;
  assert.ok(e.listed <= 2 * keep && e.diagnosesNotKept > 0);
  assert.deepEqual(bounded.connectionCounts, whole.connectionCounts);
  assert.deepEqual(bounded.problemGroups, whole.problemGroups);
  assert.deepEqual(bounded.idleTimeouts, whole.idleTimeouts);
  // What is listed is listed with the very words a full run gives it.
  const wholeById = new Map(whole.diagnoses.map((d) => [d.conn, d]));
  for (const d of bounded.diagnoses) assert.deepEqual(d, wholeById.get(d.conn));
  assert.ok(bounded.connections.length < whole.connections.length);
});

test('every lab capture reports the same with eviction', async () => {
  assert.ok(labCaptures.length >= 10);
  for (const file of labCaptures) {
    const { whole, bounded } = await reports(file, {}, MAX_LISTED, MAX_LISTED);
    assertSamePrinted(bounded, whole, file);
  }
});

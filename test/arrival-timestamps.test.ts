import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { LiveModel } from '../src/live/live-model.js';
import type { FileReport, ResetVerdict } from '../src/model/analysis-report.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { renderHtmlReport } from '../src/render/html-report.js';
import { makeStyle } from '../src/render/style.js';
import { renderFileReport } from '../src/render/text-report.js';
import { BufferFeed } from './helpers/buffer-feed.js';
import { buildPcap } from './helpers/capture-builder.js';
import { itemAt } from './helpers/checked.js';
import { TcpScript } from './helpers/tcp-script.js';
import { tempCaptures } from './helpers/temp-captures.js';

/*
 * Issue 21, item 10: a live capture through cap stamps packets when kad reads
 * them, so a delay between two packets (a handshake RTT, a RST's answer time)
 * also measures how long they waited. "Arrival timestamps" travels from the
 * feed (PacketFeed.arrivalTimestamps) through the pipeline's analysis to the
 * diagnosis and the report: timing evidence is weak at most, with the reason,
 * and every format says the RTT was measured between arrival stamps.
 */

const files = tempCaptures('kad-arrival-', 'pcap');

/** A 20 ms handshake, then a RST 0.3 ms after the client's data: fast enough to be a middlebox, by kernel stamps. */
function fastRst(): Buffer {
  const s = new TcpScript({ addr: '192.0.2.10', port: 40000 }, { addr: '198.51.100.10', port: 5432 }, [1000, 5000]);
  s.gapNs = 10_000_000n;
  s.ttl = [64, 60];
  s.handshake();
  s.ttl = [64, 61];
  s.send(1, 20).ack(0);
  s.ttl = [64, 60];
  s.gapNs = 300_000n;
  s.send(0, 5).rst(1);
  return buildPcap(s.packets, { nano: true });
}

function timing(v: ResetVerdict) {
  const e = v.evidence.find((x) => x.signal === 'timing');
  assert.ok(e, JSON.stringify(v.evidence));
  return e;
}

async function report(arrivalTimestamps: boolean): Promise<FileReport> {
  const a = await analyzeCapture(files.write(fastRst()), { arrivalTimestamps });
  return buildFileReport(a, {}, diagnoseCapture(a));
}

test('arrival stamps: timing is weak with its reason, and text, HTML and JSON say the RTT is between arrival stamps', async () => {
  const kernel = await report(false);
  const arrival = await report(true);
  assert.equal(timing(itemAt(itemAt(kernel.diagnoses, 0, 'diagnosis').resets, 0, 'reset')).strength, 'strong');
  const t = timing(itemAt(itemAt(arrival.diagnoses, 0, 'diagnosis').resets, 0, 'reset'));
  assert.equal(t.strength, 'weak');
  assert.match(t.caveat ?? '', /stamped when they reached kad/);

  assert.equal(kernel.arrivalTimestamps, false);
  assert.equal((JSON.parse(JSON.stringify(arrival)) as FileReport).arrivalTimestamps, true);
  const text = renderFileReport(arrival, makeStyle(false));
  assert.match(text, /timestamps are arrival times at kad/);
  assert.match(text, /handshake RTT 20\.\d ms \(between arrival stamps: an upper bound\)/);
  assert.doesNotMatch(renderFileReport(kernel, makeStyle(false)), /arrival (times|stamps)/);
  const html = renderHtmlReport({ tool: 'keepalive-doctor', version: 'test', files: [arrival], comparisons: [], merged: null });
  assert.match(html, /timestamps are arrival times at kad/);
  assert.match(html, /between arrival stamps: an upper bound/);
});

test('arrival stamps travel from the live feed to the verdict: a feed that stamps on arrival gets weak timing', async () => {
  const data = readFileSync(files.write(fastRst()));
  // The verdict as it goes out, words and all (a snapshot keeps it as decided).
  const verdictOf = (feed: BufferFeed) => {
    const model = new LiveModel(feed);
    const emitted: ResetVerdict[] = [];
    model.on('reset', (r) => emitted.push(r));
    return model.run().then(() => itemAt(emitted, 0, 'reset'));
  };
  class ArrivalFeed extends BufferFeed {
    readonly arrivalTimestamps = true;
  }
  assert.equal(timing(await verdictOf(new BufferFeed('kernel stamps', data))).strength, 'strong');
  assert.equal(timing(await verdictOf(new ArrivalFeed('cap', data))).strength, 'weak');
});

/**
 * One spelling of "addr:port": the path key the diagnosis groups by, and
 * every place that shows or matches an endpoint, on the IPv6 lab capture
 * (where an unbracketed address cannot be told from its port).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { connectionReport } from '../src/report/build-file-report.js';
import { buildRow } from '../src/tui/conn-rows.js';
import { TimelineRecorder } from '../src/tui/event-ring.js';
import { timelinePane } from '../src/tui/timeline-pane.js';
import { endpointText } from '../src/util/ip-text.js';
import { REPO } from './helpers/run-kad.js';

test('endpointText: IPv6 in brackets, IPv4 and names as they are', () => {
  assert.equal(endpointText({ addr: '2001:db8::1', port: 443 }), '[2001:db8::1]:443');
  assert.equal(endpointText({ addr: '::ffff:192.0.2.1', port: 80 }), '[::ffff:192.0.2.1]:80');
  assert.equal(endpointText({ addr: '192.0.2.1', port: 80 }), '192.0.2.1:80');
  assert.equal(endpointText({ addr: 'db.example.com', port: 5432 }), 'db.example.com:5432');
});

test('IPv6 capture: the inference key, the TUI row and its timeline spell each endpoint alike', async () => {
  const a = await analyzeCapture(join(REPO, 'captures', 'fw-reset-keepalive-v6.server.pcap'));
  const d = diagnoseCapture(a);
  const c = connectionReport(a.tracker, 0);
  const key = d.idleTimeouts[0]!.path;
  assert.equal(key, endpointText(c.server));
  assert.ok(key.startsWith('[') && key.endsWith(`]:${c.server.port}`), key);

  const t = a.tracker;
  const row = buildRow(c, {
    baseSec: t.baseSec,
    baseNsec: t.baseNsec,
    nowS: t.lastTime / 1e9,
    idleTimeouts: d.idleTimeouts,
    diagnoses: new Map(),
    sockets: new Map(),
  });
  assert.equal(row.path, key);
  assert.equal(row.timeout?.source, 'inferred', 'the row finds its path inference by that key');

  const rec = new TimelineRecorder();
  const log = t.events;
  for (let i = 0; i < log.count; i++) rec.add(log.conn(i), log.time(i) / 1e9, log.kind(i), log.dir(i), log.frame(i));
  const pane = timelinePane(row, rec.get(0), 120, {
    baseSec: t.baseSec,
    baseNsec: t.baseNsec,
    nowS: row.lastS,
    attribution: () => null,
    zoom: 0,
    legendLines: 0,
  });
  assert.ok(pane.label.includes(`${endpointText(c.client)} → ${key}`), pane.label);
});

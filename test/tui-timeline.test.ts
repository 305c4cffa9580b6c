import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResetAttribution } from '../src/model/analysis-report.js';
import { K_ACK, K_DATA, K_KEEPALIVE, K_KEEPALIVE_ACK, K_RST, K_SYN, K_SYNACK } from '../src/track/packet-kind.js';
import { EventRing, RING_CAPACITY, TimelineRecorder } from '../src/tui/event-ring.js';
import { axisLine, legendLines, LEGEND, renderTimeline, tickStep, type TimelineOptions } from '../src/tui/timeline.js';

/** The fw-reset-keepalive story at 0.1 s per character: handshake, exchange, 5 s idle, keepalive, forged RST. */
function story(): EventRing {
  const r = new EventRing();
  r.push(0, K_SYN, 0, 1);
  r.push(0.0001, K_SYNACK, 1, 2);
  r.push(0.0002, K_ACK, 0, 3);
  r.push(0.31, K_DATA, 0, 4);
  r.push(0.45, K_DATA, 1, 5);
  r.push(0.62, K_ACK, 0, 6);
  r.push(5.62, K_KEEPALIVE, 1, 7);
  r.push(5.624, K_RST, 0, 8);
  return r;
}

function opts(extra: Partial<TimelineOptions> = {}): TimelineOptions {
  return { start: 0, end: 6, width: 60, aliveFrom: 0, aliveUntil: 5.624, ...extra };
}

test('one glyph per 0.1 s bucket: SYN, data, ack, idle gap, keepalive probe, RST', () => {
  const t = renderTimeline(story(), opts());
  assert.equal(t.c2s.length, 60);
  assert.equal(t.s2c.length, 60);
  // Buckets 0, 3, 4, 6 hold the handshake and the exchange; 56 holds the probe and the RST.
  assert.equal(t.c2s.slice(0, 8), 'S--d--.-');
  assert.equal(t.s2c.slice(0, 8), 'S---d---');
  assert.equal(t.c2s[56], 'R');
  assert.equal(t.s2c[56], 'K');
  // Idle between the exchange and the probe, nothing after the end of the connection.
  assert.match(t.c2s.slice(7, 56), /^-+$/);
  assert.equal(t.c2s.slice(57), '   ');
});

test('the RST is coloured by who really sent it', () => {
  const colourFor = (a: ResetAttribution | null) =>
    renderTimeline(story(), opts({ attribution: (f) => (f === 8 ? a : null) })).colours[0][56];
  assert.equal(colourFor('middlebox'), 'red');
  assert.equal(colourFor('peer'), 'green');
  assert.equal(colourFor('local-stack'), 'green');
  assert.equal(colourFor('unknown'), 'yellow');
  assert.equal(colourFor(null), 'yellow', 'not diagnosed yet: unknown');
});

test('a bucket with several packets shows the most telling one', () => {
  const r = new EventRing();
  r.push(1.0, K_DATA, 0, 1);
  r.push(1.01, K_RST, 0, 2);
  r.push(1.02, K_ACK, 0, 3);
  r.push(1.0, K_ACK, 1, 4);
  r.push(1.05, K_KEEPALIVE_ACK, 1, 5);
  const t = renderTimeline(r, { start: 0, end: 2, width: 2, aliveFrom: 0, aliveUntil: 2 });
  assert.equal(t.c2s, '-R');
  assert.equal(t.s2c, '-k');
});

test('marker row: T where the idle timeout expires, | at now', () => {
  const t = renderTimeline(story(), opts({ timeoutAt: 0.62 + 3, now: 5.0, aliveUntil: 5.0 }));
  assert.equal(t.marker.indexOf('T'), 36);
  assert.equal(t.marker.indexOf('|'), 50);
  assert.equal(t.marker.replace(/[T|]/g, '').trim(), '');
  // Outside the window: not drawn.
  assert.equal(renderTimeline(story(), opts({ timeoutAt: 60, now: null })).marker.trim(), '');
});

test('events outside the window are left out; an empty window still renders', () => {
  const t = renderTimeline(story(), opts({ start: 5, end: 6, width: 10, aliveFrom: 0 }));
  assert.equal(t.c2s, '------R   ');
  const e = renderTimeline(new EventRing(), { start: 3, end: 3, width: 5, aliveFrom: 3, aliveUntil: 3 });
  assert.equal(e.c2s.length, 5);
});

test('time axis: ticks at 1-2-5 steps, labels never overlap', () => {
  assert.equal(tickStep(6, 60), 2);
  assert.equal(tickStep(5.3, 150), 0.5);
  assert.equal(tickStep(3 * 3600, 100), 1800);
  assert.equal(tickStep(40, 12), 60);
  assert.equal(tickStep(30 * 86400, 60), 10 * 86400);
  const a = axisLine(6, 60);
  assert.equal(a.length, 60);
  assert.equal(a.indexOf('+0s'), 0);
  assert.equal(a.indexOf('+2s'), 20);
  assert.equal(a.indexOf('+4s'), 40);
  assert.match(axisLine(7200, 80), /\+30m .*\+1h /);
  assert.match(axisLine(0.01, 50), /^\+0s +\+5ms +$/);
});

test('legend: every glyph explained, wrapped to the width', () => {
  const lines = legendLines(60);
  const text = lines.join('  ');
  for (const [g, what] of LEGEND) assert.ok(text.includes(`${g} ${what}`), `${g} ${what}`);
  for (const l of lines) if (!l.includes('rst (')) assert.ok(l.length <= 60, l);
  assert.match(text, /R rst \(red middlebox, green peer\/local-stack, yellow unknown\)/);
});

test('EventRing keeps the last RING_CAPACITY events in order', () => {
  const r = new EventRing();
  for (let i = 0; i < RING_CAPACITY + 44; i++) r.push(i, K_DATA, 0, i + 1);
  assert.equal(r.size, RING_CAPACITY);
  assert.ok(r.wrapped);
  assert.equal(r.time[r.slot(0)], 44);
  assert.equal(r.time[r.slot(RING_CAPACITY - 1)], RING_CAPACITY + 43);
});

test('TimelineRecorder is bounded: the least recently active connection is forgotten', () => {
  const rec = new TimelineRecorder(2);
  rec.add(0, 0, K_SYN, 0, 1);
  rec.add(1, 0.1, K_SYN, 0, 2);
  rec.add(0, 0.2, K_DATA, 0, 3); // connection 0 is now the most recent
  rec.add(2, 0.3, K_SYN, 0, 4); // evicts connection 1
  assert.equal(rec.connections, 2);
  assert.equal(rec.get(1), undefined);
  assert.equal(rec.get(0)?.size, 2);
  assert.equal(rec.get(2)?.size, 1);
});

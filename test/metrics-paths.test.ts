/**
 * Metrics hygiene for fleets: the path label is bounded (--metrics-max-paths,
 * an "other" bucket), and kad_build_info is there from the first scrape.
 * Real LiveModel, real HTTP server, a bundled lab capture replayed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LiveModel } from '../src/live/live-model.js';
import { startMetricsServer } from '../src/metrics/metrics-server.js';
import { DEFAULT_MAX_PATHS, OTHER_PATH, PathLabels } from '../src/metrics/path-labels.js';
import { VERSION } from '../src/version.js';
import { REPO, runKad } from './helpers/run-kad.js';
import { sample } from './helpers/prom-text.js';
import { BufferFeed } from './helpers/buffer-feed.js';

const CAPTURE = join(REPO, 'captures', 'fw-reset-keepalive.server.pcap');
const PATH = '198.51.100.10:5432';

test('the first max paths keep their label for good; later ones go to "other"', () => {
  const p = new PathLabels(2);
  assert.equal(p.label('192.0.2.1:443'), '192.0.2.1:443');
  assert.equal(p.label('192.0.2.2:443'), '192.0.2.2:443');
  assert.equal(p.label('192.0.2.3:443'), OTHER_PATH);
  assert.equal(p.admit('192.0.2.3:443'), false, 'a gauge of a path over the cap is left out');
  assert.equal(p.label('192.0.2.1:443'), '192.0.2.1:443', 'an admitted path stays admitted');
  assert.equal(p.size, 2);
  assert.equal(new PathLabels().max, DEFAULT_MAX_PATHS);
  assert.equal(new PathLabels(0).label('192.0.2.1:443'), OTHER_PATH);
});

async function scrapeReplay(maxPaths?: number): Promise<{ before: string; after: string }> {
  const model = new LiveModel(new BufferFeed('fw-reset-keepalive.server.pcap', readFileSync(CAPTURE)), { refreshMs: 50 });
  const server = await startMetricsServer(model, '127.0.0.1:0', maxPaths === undefined ? {} : { maxPaths });
  try {
    const before = await (await fetch(server.url)).text();
    await model.run();
    return { before, after: await (await fetch(server.url)).text() };
  } finally {
    await server.close();
  }
}

test('with the default cap the reset keeps its path; kad_build_info is there before any packet', async () => {
  const { before, after } = await scrapeReplay();
  const info = { version: VERSION, nodejs: process.versions.node, max_paths: String(DEFAULT_MAX_PATHS) };
  assert.equal(sample(before, 'kad_build_info', info), 1, before);
  assert.equal(sample(after, 'kad_resets_total', { attribution: 'middlebox', path: PATH }), 1, after);
  assert.equal(sample(after, 'kad_resets_total', { attribution: 'middlebox', path: OTHER_PATH }), undefined);
  assert.equal(sample(after, 'kad_metrics_paths_overflow_total'), 0);
  assert.ok(sample(after, 'kad_idle_timeout_upper_bound_seconds', { path: PATH }) !== undefined);
});

test('with --metrics-max-paths 0 the reset is counted under "other" and no bracket is exported', async () => {
  const { after } = await scrapeReplay(0);
  assert.equal(sample(after, 'kad_resets_total', { attribution: 'middlebox', path: OTHER_PATH }), 1, after);
  assert.equal(sample(after, 'kad_resets_total', { attribution: 'middlebox', path: PATH }), undefined);
  assert.equal(sample(after, 'kad_metrics_paths_overflow_total'), 1);
  // One bracket for unrelated paths would be no path's bracket: left out, not merged.
  assert.equal(sample(after, 'kad_idle_timeout_upper_bound_seconds', { path: OTHER_PATH }), undefined);
  assert.equal(sample(after, 'kad_idle_timeout_upper_bound_seconds', { path: PATH }), undefined);
  assert.equal(sample(after, 'kad_build_info', { max_paths: '0' }), 1);
});

test('kad watch --metrics-max-paths wants a whole number', () => {
  const r = runKad(['watch', '-r', CAPTURE, '--metrics', '127.0.0.1:0', '--metrics-max-paths', 'many']);
  assert.equal(r.status, 2, r.stderr); // commander's usage error
  assert.match(r.stderr, /"many" is not a path count/);
  const ok = runKad(['watch', '-r', CAPTURE, '--metrics', '127.0.0.1:0', '--metrics-max-paths', '5']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /"type":"metrics"/);
});

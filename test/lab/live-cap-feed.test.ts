/**
 * The real cap on the loopback of a namespace of our own, under forced
 * garbage collection (cap keeps only a raw pointer to its Buffer).
 * test/live-cap-feed.test.ts covers CapFeed with a fake cap module.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labSkip } from '../helpers/lab-gate.js';

const CAP_FEED = fileURLToPath(new URL('../../src/live/cap-feed.js', import.meta.url));
const PIPELINE = fileURLToPath(new URL('../../src/analyze/analyze-capture.js', import.meta.url));

/**
 * Runs inside the namespace: captures its loopback while it makes 40
 * connections to itself, calling gc() between them; a collected capture
 * Buffer would corrupt the heap (the same loop with cap and an unreferenced
 * Buffer dies with SIGSEGV here). Prints what it saw as JSON.
 */
const GC_CHILD = `
const net = require('node:net');
(async () => {
  const { CapFeed } = await import(${JSON.stringify(CAP_FEED)});
  const { CapturePipeline } = await import(${JSON.stringify(PIPELINE)});
  const feed = new CapFeed({ device: 'lo', filter: 'tcp port 7411' });
  const pipeline = new CapturePipeline('lo');
  let records = new Set();
  const done = feed.start((rec) => { records.add(rec); pipeline.onPacket(rec); });
  globalThis.gc();
  const server = net.createServer((s) => s.end('bye')).listen(7411, '127.0.0.1');
  await new Promise((r) => server.on('listening', r));
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => {
      const c = net.connect(7411, '127.0.0.1');
      c.on('data', () => {});
      c.on('close', resolve);
    });
    // Garbage of the Buffer's size, so a freed capture Buffer would be handed out again at once.
    const junk = [];
    for (let j = 0; j < 50; j++) junk.push(Buffer.alloc(65535, 7));
    globalThis.gc();
  }
  await new Promise((r) => setTimeout(r, 300));
  feed.stop();
  await done;
  server.close();
  const a = pipeline.analysis();
  process.stdout.write(JSON.stringify({ label: feed.label, linkType: feed.linkType, records: records.size, tcp: a.tcpPackets, conns: a.tracker.connectionCount }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

const rootSkip = labSkip(import.meta.url, { root: 'a network namespace and a live capture', tools: ['ip'] });

test(
  'real cap on the loopback of our own namespace, with forced GC: every connection seen, one record',
  { skip: rootSkip, timeout: 60_000 },
  (t) => {
    const ns = `kad-capgc-${process.pid}`;
    spawnSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    t.after(() => void spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }));
    assert.equal(spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']).status, 0);
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--expose-gc', '-e', GC_CHILD], {
      encoding: 'utf8',
      timeout: 50_000,
    });
    assert.equal(r.status, 0, `child failed (${r.signal ?? r.status}): ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { label: string; linkType: number; records: number; tcp: number; conns: number };
    assert.match(out.label, /^lo, libpcap via cap, arrival timestamps/);
    assert.equal(out.linkType, 1, 'cap reports lo as ETHERNET');
    assert.equal(out.records, 1);
    assert.equal(out.conns, 40);
    assert.ok(out.tcp >= 40 * 5, `expected at least 5 packets per connection (handshake, data, FINs), got ${out.tcp}`);
  },
);

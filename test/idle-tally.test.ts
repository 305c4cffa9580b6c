import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture, serverPath } from '../src/diagnose/diagnose-capture.js';
import { IdleTimeoutTally } from '../src/diagnose/idle-timeout.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, K_RST } from '../src/track/packet-kind.js';

// Diagnosis sums idle periods per connection in typed arrays and only then per
// path. This checks it against counting every period one by one, in event
// order, with IdleTimeoutTally.add(): the same numbers, the paths in the same order.

const dir = mkdtempSync(join(tmpdir(), 'kad-idle-tally-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('idle timeouts summed per connection equal counting each period in event order', async () => {
  const file = join(dir, 'busy.pcap');
  generateBusyCapture(file, { connections: 3000, seed: 7, snaplen: 128, prefixFrames: 0 });
  const analysis = await analyzeCapture(file);
  const d = diagnoseCapture(analysis, undefined, { explain: false });

  const log = analysis.tracker.events;
  const middlebox = new Set<number>();
  for (const diag of d.diagnoses) for (const r of diag.resets) if (r.attribution === 'middlebox') middlebox.add(r.frame);
  const tally = new IdleTimeoutTally();
  const pending = new Map<number, { dir: number; idleS: number; frame: number }>();
  for (let i = 0; i < log.count; i++) {
    const c = log.conn(i);
    const k = log.kind(i);
    const p = pending.get(c);
    if (p && p.dir !== log.dir(i)) {
      if (k !== K_RST) tally.add(serverPath(analysis, c), c, p.idleS, 'survived');
      else if (middlebox.has(log.frame(i))) tally.add(serverPath(analysis, c), c, p.idleS, 'died');
      pending.delete(c);
    }
    if (!pending.has(c) && (k === K_KEEPALIVE || k === K_DATA || k === K_RETRANSMISSION) && log.idleBefore(i) >= 1e9) {
      pending.set(c, { dir: log.dir(i), idleS: log.idleBefore(i) / 1e9, frame: log.frame(i) });
    }
  }
  for (const diag of d.diagnoses) {
    const drop = diag.silentDrop;
    const p = pending.get(diag.conn - 1);
    if (drop && p && drop.kind !== 'dead-peer' && p.frame === drop.firstFrame) tally.add(diag.path, diag.conn - 1, p.idleS, 'died');
  }
  const expected = tally.result();

  assert.ok(expected.length >= 4, `several paths with a timeout (${expected.length})`);
  assert.ok(expected.every((t) => t.survived > 0 && t.died > 0), 'each has periods survived and died');
  assert.deepEqual(d.idleTimeouts, expected);
  // Paths come in the order of their first idle period, which is not the order of their first connections.
  const byFirstConnection = [...expected].sort((a, b) => firstConn(a.path) - firstConn(b.path)).map((t) => t.path);
  assert.notDeepEqual(expected.map((t) => t.path), byFirstConnection, 'the capture tells the two orders apart');

  function firstConn(path: string): number {
    for (let c = 0; c < analysis.tracker.connectionCount; c++) if (serverPath(analysis, c) === path) return c;
    return Infinity;
  }
});

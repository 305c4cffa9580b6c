import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture, serverPath } from '../src/diagnose/diagnose-capture.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, K_RST } from '../src/track/packet-kind.js';
import { minOf } from '../src/util/extremes.js';

// The idle tally sums periods per connection in typed arrays and only then per
// path. This checks it against counting every period straight into its path, in
// event order: the same numbers, and the paths in the order of their first period.

const dir = mkdtempSync(join(tmpdir(), 'kad-idle-tally-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Expected {
  path: string;
  conns: Set<number>;
  survived: number;
  survivedMaxS: number | null;
  died: number;
  diedMinS: number;
}

test('idle timeouts summed per connection equal counting each period into its path in event order', async () => {
  const file = join(dir, 'busy.pcap');
  generateBusyCapture(file, { connections: 3000, seed: 7, snaplen: 128, prefixFrames: 0 });
  const analysis = await analyzeCapture(file);
  const d = diagnoseCapture(analysis, undefined, { explain: false });

  const log = analysis.tracker.events;
  const middlebox = new Set<number>();
  for (const diag of d.diagnoses) for (const r of diag.resets) if (r.attribution === 'middlebox') middlebox.add(r.frame);
  const byPath = new Map<string, Expected>();
  const count = (c: number, idleS: number, survived: boolean): void => {
    const path = serverPath(analysis, c);
    let e = byPath.get(path);
    if (!e) byPath.set(path, (e = { path, conns: new Set(), survived: 0, survivedMaxS: null, died: 0, diedMinS: Infinity }));
    e.conns.add(c);
    if (survived) {
      e.survived++;
      e.survivedMaxS = Math.max(e.survivedMaxS ?? -Infinity, idleS);
    } else {
      e.died++;
      e.diedMinS = Math.min(e.diedMinS, idleS);
    }
  };
  const pending = new Map<number, { dir: number; idleS: number; frame: number }>();
  for (let i = 0; i < log.count; i++) {
    const c = log.conn(i);
    const k = log.kind(i);
    const p = pending.get(c);
    if (p && p.dir !== log.dir(i)) {
      if (k !== K_RST) count(c, p.idleS, true);
      else if (middlebox.has(log.frame(i))) count(c, p.idleS, false);
      pending.delete(c);
    }
    if (!pending.has(c) && (k === K_KEEPALIVE || k === K_DATA || k === K_RETRANSMISSION) && log.idleBefore(i) >= 1e9) {
      pending.set(c, { dir: log.dir(i), idleS: log.idleBefore(i) / 1e9, frame: log.frame(i) });
    }
  }
  for (const diag of d.diagnoses) {
    const drop = diag.silentDrop;
    const p = pending.get(diag.conn - 1);
    if (drop && p && drop.kind !== 'dead-peer' && p.frame === drop.firstFrame) count(diag.conn - 1, p.idleS, false);
  }
  // Only paths where something died have a timeout to infer.
  const expected = [...byPath.values()].filter((e) => e.died > 0);

  assert.ok(expected.length >= 4, `several paths with a timeout (${expected.length})`);
  assert.ok(
    expected.every((e) => e.survived > 0),
    'each has periods survived and died',
  );
  assert.deepEqual(
    d.idleTimeouts.map((t) => [t.path, t.connections, t.survived, t.survivedMaxS, t.died, t.diedMinS]),
    expected.map((e) => [e.path, e.conns.size, e.survived, e.survivedMaxS, e.died, e.diedMinS]),
  );
  // Paths come in the order of their first idle period, which is not the order of their first connections.
  const byFirstConnection = [...expected]
    .sort((a, b) => minOf(a.conns, (c) => c, Infinity) - minOf(b.conns, (c) => c, Infinity))
    .map((e) => e.path);
  assert.notDeepEqual(
    expected.map((e) => e.path),
    byFirstConnection,
    'the capture tells the two orders apart',
  );
});

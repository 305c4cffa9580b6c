/**
 * `npm run scale` at --quick sizes: every section is there with numbers that
 * parse, and kad exited 0 in each. No timings are asserted (a slow or busy
 * machine must not fail this); what can fail is a harness that crashes, a
 * section that measures nothing, or a kad that fails on the stream.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labSkip } from '../helpers/lab-gate.js';
import { tempCaptures } from '../helpers/temp-captures.js';

const RUN_SCALE = fileURLToPath(new URL('../../bench/scale/run-scale.js', import.meta.url));
const tmp = tempCaptures('kad-scale-smoke-', 'json');

interface Section {
  id: string;
  status: string;
  metrics: Array<{ metric: string; value: string }>;
  data: Record<string, unknown>;
}

function runScale(only: string, extra: string[] = []): { sections: Map<string, Section>; stdout: string; pid: number | undefined } {
  const json = tmp.write(Buffer.alloc(0));
  const args = [RUN_SCALE, '--quick', '--only', only, '--json', json].concat(extra);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `run-scale failed (${r.signal ?? r.status}): ${r.stderr}`);
  const doc = JSON.parse(readFileSync(json, 'utf8')) as { sections: Section[]; machine: { nproc: number; kernel: string } };
  assert.ok(doc.machine.nproc > 0 && doc.machine.kernel !== '');
  return { sections: new Map(doc.sections.map((s) => [s.id, s])), stdout: r.stdout, pid: r.pid };
}

function positive(s: Section, key: string): number {
  const v = s.data[key];
  assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `section ${s.id}: ${key} = ${String(v)}`);
  return v;
}

test('scale --quick: the churn stream through kad watch, kad analyze on stdin', () => {
  const { sections, stdout } = runScale('b,c');
  const b = sections.get('b');
  assert.ok(b, 'section b');
  assert.equal(b.status, 'ok');
  assert.equal(b.data.exitCode, 0);
  assert.equal(b.data.timedOut, false);
  assert.equal(positive(b, 'packetsCounted'), 300_000, 'kad watch counted every packet of the stream');
  positive(b, 'packetsPerSec');
  positive(b, 'vmHwmKiB');
  const c = sections.get('c');
  assert.ok(c, 'section c');
  assert.equal(c.status, 'ok');
  assert.equal(c.data.exitCode, 0);
  positive(c, 'packetsPerSec');
  positive(c, 'vmHwmKiB');
  assert.equal((c.data.fileVsStdin as { agree: boolean }).agree, true, 'file and stdin reports agree');
  assert.match(stdout, /^machine: \d+ CPUs, kernel /m);
  assert.match(stdout, /packets\/s \(whole run\)\s+\S+ k?/);
});

test('a kad run that outlives the time cap is killed and reported as a measured outcome', () => {
  // 50 M packets take kad watch far longer than the 3 s cap on any machine this runs on (5 M no longer
  // did once kad watch -r reads in runs); the stream is generated as it is read, so the size costs nothing.
  const { sections, stdout } = runScale('b', ['--stream-packets', '50000000', '--cap-min', '0.05']);
  const b = sections.get('b');
  assert.ok(b, 'section b');
  assert.equal(b.status, 'ok');
  assert.equal(b.data.timedOut, true);
  assert.match(stdout, /kad run\s+killed at the 3 s cap\s+exit 0\s+miss/);
});

test(
  'scale --quick: the socket table with connections held in a namespace, timed through audit, recommend and watch',
  { skip: labSkip(import.meta.url, { root: 'network namespaces', tools: ['ip'] }) },
  () => {
    const { sections, pid } = runScale('a');
    const a = sections.get('a');
    assert.ok(a, 'section a');
    assert.equal(a.status, 'ok', JSON.stringify(a));
    const lines = (a.data.lines as string[]).join('\n');
    assert.match(lines, /kad audit\s+\d+(\.\d+)? s, peak RSS \d+ MB/);
    assert.match(lines, /kad recommend --idle-timeout 350s\s+\d+(\.\d+)? s, peak RSS \d+ MB/);
    assert.match(lines, /reader sock_diag +→ sock_diag: \d+ rows/);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(left, new RegExp(`kadscale-${pid}\\b`), 'the namespace is deleted');
  },
);

test(
  'scale --quick: live capture on a veth through cap, kad-capture and tcpdump: each reports its loss, nothing left behind',
  { skip: labSkip(import.meta.url, { root: 'network namespaces and a live capture', tools: ['ip', 'python3', 'tcpdump'] }) },
  () => {
    const { sections, pid } = runScale('d');
    const d = sections.get('d');
    assert.ok(d, 'section d');
    assert.equal(d.status, 'ok', JSON.stringify(d));
    const runs = d.data.runs as Array<Record<string, unknown>>;
    assert.deepEqual(
      runs.map((r) => r.source),
      ['cap', 'kad-capture', 'tcpdump'],
    );
    for (const r of runs) {
      const what = `${String(r.source)}: ${JSON.stringify(r)}`;
      assert.equal(r.exitCode, 0, what);
      const onWire = r.onWire as number;
      const counted = r.kadPackets as number;
      assert.ok(onWire > 0 && counted > 0 && (r.packetsPerSec as number) > 0, what);
      const lost = Math.max(0, onWire - counted);
      if (r.source === 'cap') {
        // No drop count: the link counters bound what it missed, and a bound below the true loss would be a lie.
        assert.equal(r.sourceDrops, null, what);
        assert.ok(typeof r.sourceMissedAtMost === 'number' && r.sourceMissedAtMost >= lost, what);
      } else {
        // libpcap's count, not an estimate: a number, and no more than what kad did not see.
        assert.ok(typeof r.sourceDrops === 'number' && r.sourceDrops >= 0 && r.sourceDrops <= lost + 100, what);
      }
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(left, new RegExp(`kadscale-[ab]-${pid}\\b`), 'the namespaces are deleted');
  },
);

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { TcpScript } from './helpers/tcp-script.js';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { serverPath } from '../src/diagnose/diagnose-capture.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, K_RST } from '../src/track/packet-kind.js';

// The groupings the tracker computes in WebAssembly after the pass, checked
// against the plain definitions computed here the slow way.

const dir = mkdtempSync(join(tmpdir(), 'kad-groups-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'busy.pcap');
generateBusyCapture(file, { connections: 3000, seed: 7, snaplen: 128, prefixFrames: 0 });

test('eventGroups lists each connection its own events, in capture order', async () => {
  const a = await analyzeCapture(file);
  const t = a.tracker;
  const log = t.events;
  const n = t.connectionCount;
  assert.ok(log.count > 1000 && n === 3000);
  const want: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < log.count; i++) want[log.conn(i)]!.push(i);
  const { start, order } = t.eventGroups();
  assert.equal(start.length, n + 1);
  assert.equal(start[n], log.count);
  for (let c = 0; c < n; c++) assert.deepEqual([...order.subarray(start[c]!, start[c + 1]!)], want[c], `connection ${c}`);
});

// The busy capture has one port per server address: servers that differ only by port (or address family) come from here.
const mixed = join(dir, 'mixed.pcap');
{
  const pkts: TcpSpec[] = [];
  const servers = [
    { addr: '198.51.100.9', port: 443 },
    { addr: '198.51.100.9', port: 8443 },
    { addr: '2001:db8::9', port: 443 },
    { addr: '198.51.100.9', port: 443 },
    { addr: '198.51.100.10', port: 8443 },
    { addr: '2001:db8::9', port: 8443 },
  ];
  servers.forEach((server, i) => {
    const client = server.addr.includes(':') ? { addr: '2001:db8::1', port: 40000 + i } : { addr: '192.0.2.1', port: 40000 + i };
    new TcpScript(client, server, [1000, 5000], 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, pkts).handshake().send(0, 10);
  });
  writeFileSync(mixed, buildPcap(pkts.sort((x, y) => (x.tsNs < y.tsNs ? -1 : 1))));
}

// The busy capture has IPv4 and IPv6 servers on several ports; the mixed one exactly 5 servers.
for (const [name, path, servers] of [
  ['busy', file, 0],
  ['mixed', mixed, 5],
] as const)
  test(`serverIndexes numbers servers by first appearance, one per address and port (${name})`, async () => {
    const a = await analyzeCapture(path);
    const t = a.tracker;
    const n = t.connectionCount;
    const { ofConn, firstConn } = t.serverIndexes();
    const byText = new Map<string, number>();
    const firsts: number[] = [];
    for (let c = 0; c < n; c++) {
      const text = serverPath(a, c);
      let i = byText.get(text);
      if (i === undefined) {
        byText.set(text, (i = firsts.length));
        firsts.push(c);
      }
      assert.equal(ofConn[c], i, `connection ${c} (${text})`);
    }
    if (servers > 0) assert.equal(firsts.length, servers);
    else assert.ok(firsts.length >= 8, `${firsts.length} servers`);
    assert.deepEqual([...firstConn], firsts);
  });

test('unansweredTails: what each side sent after the other side last spoke; timeSpan', async () => {
  const a = await analyzeCapture(file);
  const t = a.tracker;
  const log = t.events;
  const s = t.store;
  const n = t.connectionCount;
  const tails = t.unansweredTails();
  const captureEndNs = tails.captureEndNs;
  let start = Infinity;
  let end = -Infinity;
  let nonEmpty = 0;
  for (let c = 0; c < n; c++) {
    start = Math.min(start, s.firstTimeNs(c));
    end = Math.max(end, s.lastTimeNs(c));
    assert.equal(tails.lastUnanswered(c), s.lastUnanswered(c), `flag of connection ${c}`);
  }
  assert.equal(captureEndNs, end);
  assert.deepEqual(t.timeSpan(), { firstNs: start, lastNs: end });
  const want = Array.from({ length: n * 2 }, () => ({ packets: 0, first: -1, last: -1, keepalives: 0, retransmissions: 0, localRst: 0 }));
  for (let i = 0; i < log.count; i++) {
    const c = log.conn(i);
    const x = log.dir(i);
    if (log.frame(i) <= s.lastFrame(c, x ^ 1)) continue;
    const w = want[c * 2 + x]!;
    const k = log.kind(i);
    if (k === K_KEEPALIVE || k === K_RETRANSMISSION || k === K_DATA) {
      if (w.packets++ === 0) w.first = i;
      w.last = i;
      if (k === K_KEEPALIVE) w.keepalives++;
      if (k === K_RETRANSMISSION) w.retransmissions++;
    } else if (k === K_RST) w.localRst = 1;
  }
  for (let cx = 0; cx < n * 2; cx++) {
    const c = cx >> 1;
    const x = cx & 1;
    const got = {
      packets: tails.packets(c, x),
      first: tails.firstEvent(c, x),
      last: tails.lastEvent(c, x),
      keepalives: tails.keepalives(c, x),
      retransmissions: tails.retransmissions(c, x),
      localRst: tails.localRst(c, x) ? 1 : 0,
    };
    assert.deepEqual(got, want[cx], `connection ${cx >> 1}, direction ${cx & 1}`);
    if (got.packets! > 1) nonEmpty++;
  }
  // The busy capture's silent drops: enough unanswered probes that a wrong pass shows.
  assert.ok(nonEmpty > 100, `${nonEmpty} tails of two or more packets`);
});

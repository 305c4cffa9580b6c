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
for (const [name, path, servers] of [['busy', file, 0], ['mixed', mixed, 5]] as const) test(`serverIndexes numbers servers by first appearance, one per address and port (${name})`, async () => {
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

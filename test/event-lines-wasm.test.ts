import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeCapture, CapturePipeline } from '../src/analyze/analyze-capture.js';
import { readCapture } from '../src/capture/read-capture.js';
import { eventLinePhrases, packetEvent } from '../src/render/event-lines.js';
import { buildPcap, buildPcapng, sampleConversation, type TcpSpec } from './helpers/capture-builder.js';
import { pcapngVariants } from './helpers/pcapng-variants.js';
import { runKad } from './helpers/run-kad.js';
import { tempCaptures } from './helpers/temp-captures.js';

const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));
const temp = tempCaptures('kad-event-lines-wasm-', 'pcap');

/** The definition: one JSON.stringify(packetEvent) per TCP packet, every packet through the per-frame path. */
async function definedLines(file: string, label?: string, keep: (sport: number, dport: number) => boolean = () => true): Promise<string> {
  let out = '';
  await analyzeCapture(file, {
    onTcpPacket: (tracker, pkt, rec, kind) => {
      if (keep(pkt.srcPort, pkt.dstPort)) out += `${JSON.stringify(packetEvent(tracker, pkt, rec, kind, label))}\n`;
    },
  });
  return out;
}

/** What the tracker writes, walked or frame by frame; a line onTcpPacket wrote would be one too many. */
async function walkedLines(file: string, label?: string, chunkSize?: number): Promise<{ text: string; walkedBytes: number }> {
  const parts: Buffer[] = [];
  let walkedBytes = 0;
  const p = new CapturePipeline(file, {
    eventLines: {
      ...eventLinePhrases(label),
      write: (b) => {
        walkedBytes += b.length;
        parts.push(Buffer.from(b));
      },
    },
    onTcpPacket: (tracker, pkt, rec, kind) => parts.push(Buffer.from(`${JSON.stringify(packetEvent(tracker, pkt, rec, kind, label))}\n`)),
  });
  await readCapture(file, p.onPacket, { ...p.readOptions(), chunkSize });
  p.finishLines();
  return { text: Buffer.concat(parts).toString('utf8'), walkedBytes };
}

/** The same lines, and the walk wrote at least `share` of their bytes (it did run). */
async function assertSame(file: string, label: string | undefined, share: number, chunkSize?: number): Promise<number> {
  const want = await definedLines(file, label);
  const got = await walkedLines(file, label, chunkSize);
  assert.equal(got.text, want, `${file} ${label ?? ''}`);
  assert.ok(
    got.walkedBytes >= share * Buffer.byteLength(want),
    `${file}: the walk wrote ${got.walkedBytes} of ${Buffer.byteLength(want)} bytes`,
  );
  return want.split('\n').length - 1;
}

test('lines the WebAssembly walk writes are byte for byte JSON.stringify(packetEvent) for every packet of the lab captures, IPv6 too', async () => {
  const files = readdirSync(CAPTURES).filter((f) => f.endsWith('.pcap'));
  assert.ok(files.some((f) => f.includes('v6')) && files.length > 10, 'the lab captures are there, IPv6 among them');
  let packets = 0;
  for (const f of files) {
    for (const label of [undefined, `two "files"\\ é ${f}`]) packets += await assertSame(join(CAPTURES, f), label, 1);
  }
  assert.ok(packets > 200, `${packets} packets compared`);
});

/** IPv6 addresses for every RFC 5952 case addressText handles: ties, the longer run later, a lone zero, none. */
const V6 = [
  '2001:db8:0:0:1:0:0:1',
  '2001:0:0:1:0:0:0:1',
  '2001:db8:0:1:1:1:1:1',
  '1:2:3:4:5:6:7:8',
  'fe80:0:0:0:0:0:0:0',
  '0:0:0:0:0:0:0:1',
  '0:0:0:0:0:ffff:c000:201',
  'abcd:ef01:2345:6789:a:bc:def:ffff',
];

/** Many connections and packets, at the edges of every number: more lines than one output region, records across read chunks. */
function edgeCapture(): TcpSpec[] {
  const out: TcpSpec[] = [];
  const t0 = 4_294_967_000_999_999_000n;
  for (let i = 0; i < 12000; i++) {
    const v6 = i % 3 === 0;
    const a = v6 ? V6[i % V6.length]! : `192.0.2.${i % 256}`;
    const b = v6 ? V6[(i + 3) % V6.length]! : `198.51.100.${(i * 7) % 256}`;
    const flags = ['S', 'SA', 'A', 'PA', 'FA', 'R', 'RA', 'SFRPAUEC', 'AU', 'AE', 'AC', ''][i % 12]!;
    out.push({
      src: i % 2 ? a : b,
      dst: i % 2 ? b : a,
      sport: (i % 50) + 1,
      dport: 65535 - (i % 50),
      seq: [0, 4294967295, 1, 999999999, 1000000000][i % 5]!,
      ack: [4294967295, 0, 10, 99, 100][i % 5]!,
      flags,
      win: [0, 65535, 1, 10, 100][i % 5]!,
      ttl: [0, 255, 1, 64][i % 4]!,
      ipId: [0, 65535, 9, 10000][i % 4]!,
      payload: i % 7 === 0 ? 300 : i % 5,
      tsNs: t0 + BigInt(i) * 137_000n,
    });
  }
  return out;
}

test('the walk writes numbers at their edges, flag combinations, RFC 5952 addresses and long runs as the definition does', async () => {
  const pkts = edgeCapture();
  for (const opts of [{}, { nano: true }, { bigEndian: true, link: 'raw' as const }]) {
    const pcap = buildPcap(pkts, opts);
    if (!opts.nano && !opts.bigEndian) {
      // Whole seconds carried in the first record's fraction, as some writers do: folded back, they pass 2^32.
      pcap.writeUInt32LE(0xffffffff, 24);
      pcap.writeUInt32LE(3_999_999, 28);
    }
    const file = temp.write(pcap);
    assert.equal(await assertSame(file, undefined, 0.9), pkts.length);
    assert.equal(await assertSame(file, 'x', 0.9), pkts.length);
    // 4 KiB chunks: most runs stop at a record cut by the chunk's end, which is tracked alone.
    assert.equal(await assertSame(file, undefined, 1, 4096), pkts.length);
  }
  // pcapng packet blocks are walked too (src/wasm/pcapng-walk.ts): the same lines, also across small chunks.
  const ng = temp.write(buildPcapng(pkts), 'pcapng');
  const lines = { ...eventLinePhrases(), write: () => undefined };
  assert.ok(new CapturePipeline(ng, { eventLines: lines }).readOptions().pcapngBlocks, '--events walks pcapng packet blocks');
  assert.equal(await assertSame(ng, 'y', 1), pkts.length);
  assert.equal(await assertSame(ng, undefined, 1, 4096), pkts.length);
  // Blocks the walk leaves to the parser (other interfaces and link types, statistics, Simple Packet Blocks) in between.
  // (Timestamps of this century: the variants' coarse interfaces cannot hold the edge ones.)
  const pcap = temp.write(buildPcap(pkts.map((p, i) => ({ ...p, tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 137_000n }))));
  for (const [name, bytes] of Object.entries(pcapngVariants(pcap)))
    assert.ok((await assertSame(temp.write(bytes, 'pcapng'), name, 0.5, 4096)) > pkts.length / 2, name);
});

test('kad analyze --events: several captures carry their names, and a connection filter keeps the same lines', () => {
  const a = temp.write(buildPcap(sampleConversation(40)));
  const b = temp.write(buildPcap(sampleConversation(30, 1_700_000_100_000_000_000n, true)));
  const c = join(CAPTURES, 'fw-reset-keepalive-v6.server.pcap');
  const d = temp.write(buildPcapng(sampleConversation(25)), 'pcapng');
  return (async () => {
    const two = runKad(['analyze', '--events', a, b, c, d]);
    assert.equal(two.status, 0, two.stderr);
    let want = '';
    for (const f of [a, b, c, d]) want += await definedLines(f, f);
    assert.equal(two.stdout, want);
    const port = runKad(['analyze', '--events', '--port', '443', a, c]);
    const keep = (s: number, d: number): boolean => s === 443 || d === 443;
    assert.equal(port.stdout, (await definedLines(a, a, keep)) + (await definedLines(c, c, keep)));
    assert.ok(port.stdout.length > 0 && port.stdout.length < two.stdout.length, 'the filter kept some lines and dropped others');
  })();
});

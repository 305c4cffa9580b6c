import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import type { ConnectionReport, FileReport } from '../src/model/analysis-report.js';
import { buildFileReport } from '../src/report/build-file-report.js';
import { buildPcap, LINKTYPE, rawFrame, type TcpSpec } from './helpers/capture-builder.js';
import { buildPcapRaw, type RawFrame } from './helpers/capture-writer.js';
import { TcpScript } from './helpers/tcp-script.js';

// The connection record keeps the low bits of some counts (16 of keepalives,
// keepalive ACKs and retransmissions; 32 of byte counts) and carries the rest
// into the connection's cold entry: these counts must come out whole past
// the carry, for IPv4 and IPv6 alike.

const dir = mkdtempSync(join(tmpdir(), 'kad-widths-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function analyzeFile(data: Buffer): Promise<FileReport> {
  const file = join(dir, `w${n++}.pcap`);
  writeFileSync(file, data);
  return buildFileReport(await analyzeCapture(file));
}

function only(r: FileReport): ConnectionReport {
  assert.equal(r.connections.length, 1, 'expected exactly one connection');
  return r.connections[0]!;
}

/** Just past what 16 bits hold. */
const MANY = 65_540;

for (const [family, client, server] of [
  ['IPv4', '192.0.2.10', '198.51.100.10'],
  ['IPv6', '2001:db8::10', '2001:db8:1::10'],
] as const) {
  test(`${family}: keepalives, their ACKs and retransmissions past 65535 are counted whole`, async () => {
    const s = new TcpScript({ addr: client, port: 40000 }, { addr: server, port: 5432 });
    s.handshake().send(0, 10).ack(1);
    for (let i = 0; i < MANY; i++) s.keepalive(0).ack(1);
    for (let i = 0; i < MANY + 7; i++) s.retransmit(0, 10).ack(1);
    const c = only(await analyzeFile(buildPcap(s.packets, { nano: true })));
    assert.equal(c.client.addr, client);
    assert.equal(c.server.addr, server);
    assert.equal(c.c2s.keepalives, MANY);
    assert.equal(c.s2c.keepaliveAcks, MANY);
    assert.equal(c.c2s.retransmissions, MANY + 7);
    assert.equal(c.c2s.packets + c.s2c.packets, s.packets.length);
  });

  test(`${family}: more than 4 GiB in one direction is counted whole`, async () => {
    const s = new TcpScript({ addr: client, port: 40000 }, { addr: server, port: 5432 });
    s.handshake();
    const frames: RawFrame[] = s.packets.map((p) => rawFrame(p));
    // Full-size segments cut to their headers, as a capture with a short snaplen holds them:
    // one template, its sequence number advanced (the tracker reads no checksum).
    const ipHeader = family === 'IPv4' ? 20 : 40;
    const payload = 65_535 - (family === 'IPv4' ? 40 : 20);
    let seq = s.nextSeq(0);
    let tsNs = s.packets.at(-1)!.tsNs;
    const spec: TcpSpec = { src: client, dst: server, sport: 40000, dport: 5432, seq, ack: s.nextSeq(1), flags: 'A', payload, tsNs };
    const full = rawFrame(spec).data;
    const head = 14 + ipHeader + 20;
    const segments = Math.ceil(2 ** 32 / payload) + 2;
    for (let i = 0; i < segments; i++) {
      const data = Buffer.from(full.subarray(0, head));
      data.writeUInt32BE(seq >>> 0, 14 + ipHeader + 4);
      tsNs += 1000n;
      frames.push({ tsNs, data, origLen: full.length });
      seq += payload;
    }
    const ipBytes = frames.reduce((sum, f) => sum + (f.origLen ?? f.data.length) - 14, 0);
    const c = only(await analyzeFile(buildPcapRaw(frames, { linkType: LINKTYPE.ether, nano: true })));
    assert.ok(c.c2s.payloadBytes > 2 ** 32, `payload ${c.c2s.payloadBytes}`);
    assert.equal(c.c2s.payloadBytes, segments * payload);
    assert.equal(c.c2s.bytes + c.s2c.bytes, ipBytes);
  });
}

/**
 * Issue 21, item 14: an IPv4 total length beyond the frame, where the snaplen
 * did not cut it (captured length = wire length), must not be believed. A
 * 35 124-byte total length in a 66-byte frame used to advance the expected
 * sequence number by 35 072 bytes, so the seven in-order segments after it
 * became retransmissions. tshark trusts the frame ("IPv4 total length exceeds
 * packet length") and so must kad, counting the packet.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { rawFrame, type TcpSpec } from './helpers/capture-builder.js';
import { buildPcapRaw, type RawFrame } from './helpers/capture-writer.js';
import { runKad } from './helpers/run-kad.js';
import { tempCaptures } from './helpers/temp-captures.js';
import { compareWithTshark } from './helpers/tshark-oracle.js';
import { labSkip } from './helpers/lab-gate.js';
import type { AnalysisReport } from '../src/model/analysis-report.js';
import { newPacketRecord, WIRE_LENGTH_UNKNOWN } from '../src/capture/packet-record.js';
import { DecodedTcp } from '../src/decode/decoded-tcp.js';
import { DECODED_TCP } from '../src/decode/decode-status.js';
import { decodeFrame } from '../src/track/decode-frame.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const tmp = tempCaptures('kad-iplen-', 'pcap');
const BOGUS_TOTAL_LENGTH = 35_124;

function ipChecksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Handshake, a 66-byte ACK whose IP header claims `BOGUS_TOTAL_LENGTH`, then seven in-order data segments and their ACKs. */
function conversation(): { specs: TcpSpec[]; bogus: number } {
  const c = { src: '192.0.2.10', dst: '198.51.100.10', sport: 40100, dport: 5432 };
  const s = { src: c.dst, dst: c.src, sport: c.dport, dport: c.sport };
  const ts = { ts: [1, 1] as [number, number] };
  let t = 1_700_000_000_000_000_000n;
  const at = () => (t += 1_000_000n);
  let cseq = 1000;
  const sseq = 9000;
  const specs: TcpSpec[] = [
    { ...c, seq: cseq++, ack: 0, flags: 'S', tsNs: at(), options: { mss: 1460, sackPerm: true, ts: [1, 0], wscale: 7 } },
    { ...s, seq: sseq, ack: cseq, flags: 'SA', tsNs: at(), options: { mss: 1460, sackPerm: true, ts: [2, 1], wscale: 7 } },
    { ...c, seq: cseq, ack: sseq + 1, flags: 'A', tsNs: at(), options: ts },
  ];
  const bogus = specs.length;
  specs.push({ ...c, seq: cseq, ack: sseq + 1, flags: 'A', tsNs: at(), options: ts, ipId: 7 });
  for (let k = 0; k < 7; k++) {
    specs.push({ ...c, seq: cseq, ack: sseq + 1, flags: 'PA', payload: 120, tsNs: at(), options: ts, ipId: 8 + k });
    cseq += 120;
    specs.push({ ...s, seq: sseq + 1, ack: cseq, flags: 'A', tsNs: at(), options: ts });
  }
  return { specs, bogus };
}

function capture(): RawFrame[] {
  const { specs, bogus } = conversation();
  const frames = specs.map((p) => rawFrame(p));
  const f = frames[bogus]!;
  assert.equal(f.data.length, 66);
  const ip = f.data.subarray(14, 34);
  ip.writeUInt16BE(BOGUS_TOTAL_LENGTH, 2);
  ip.writeUInt16BE(0, 10);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  return frames;
}

function report(file: string): AnalysisReport {
  const r = runKad(['analyze', '--json', file]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as AnalysisReport;
}

describe('an IP total length beyond an uncut frame', () => {
  test('is decoded from the frame and counted; the segments after it stay in order (vs tshark)', { skip: noTshark }, () => {
    const file = tmp.write(buildPcapRaw(capture(), { linkType: 1 }));
    assert.deepEqual(compareWithTshark(file), []);
    const lens = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.len']).stdout.toString();
    const theirs = lens
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t').map(Number));
    const r = runKad(['analyze', '--events', file]);
    const ours = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { frame: number; len: number; kind: string });
    assert.deepEqual(
      ours.map((e) => [e.frame, e.len]),
      theirs,
    );
    assert.deepEqual(
      ours.filter((e) => e.kind === 'retransmission'),
      [],
    );
    const f = report(file).files[0]!;
    assert.equal(f.ipLengthBeyondFrame, 1);
    assert.equal(f.connections[0]!.c2s.retransmissions, 0);
    assert.match(runKad(['analyze', '--no-color', file]).stdout, /1 TCP packet with an IP length beyond the frame/);
  });

  test('a frame cut by the snaplen keeps its stated length and is not counted', () => {
    const { specs } = conversation();
    const frames = specs.map((p) => rawFrame({ ...p, snap: 54 }));
    const f = report(tmp.write(buildPcapRaw(frames, { linkType: 1, snaplen: 54 }))).files[0]!;
    assert.equal(f.ipLengthBeyondFrame, 0);
    assert.equal(f.connections[0]!.c2s.payloadBytes, 7 * 120);
  });

  test('a frame whose wire length is unknown (live, filling the snaplen) keeps its stated length', () => {
    const { specs } = conversation();
    const data = specs.find((p) => p.payload === 120)!;
    const whole = rawFrame(data).data;
    const rec = newPacketRecord();
    rec.buf = whole.subarray(0, 80);
    rec.capLen = 80;
    rec.linkType = 1;
    const pkt = new DecodedTcp();
    for (const [origLen, payload] of [
      [WIRE_LENGTH_UNKNOWN, 120],
      [whole.length, 120],
      [80, 80 - 14 - 20 - 32],
    ] as const) {
      rec.origLen = origLen;
      assert.equal(decodeFrame(rec, pkt), DECODED_TCP);
      assert.equal(pkt.payloadLen, payload, `wire length ${origLen}`);
    }
  });
});

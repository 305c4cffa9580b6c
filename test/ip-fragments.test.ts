/**
 * TCP in fragmented IP datagrams (issue 21, "Decode coverage"): real frames
 * of the lab's captures, every TCP packet cut into IPv4 or IPv6 fragments,
 * among them a SYN whose TCP header spans two fragments. tshark reassembles
 * by default and shows the TCP packet at the frame that completes it, with
 * the datagram's length: kad must agree packet by packet, and find the same
 * connections and verdicts as in the unfragmented capture. Fragments whose
 * datagram never completes stay counted as fragments.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildPcapRaw, type RawFrame } from './helpers/capture-writer.js';
import { ether, ipOf, readEthernetPcap } from './helpers/encap-wrap.js';
import { fragmentIp } from './helpers/ip-fragmenter.js';
import { REPO, kadEvents, kadReport } from './helpers/run-kad.js';
import { tempCaptures } from './helpers/temp-captures.js';
import { innerOf, tsharkInner } from './helpers/tshark-inner.js';
import { compareWithTshark } from './helpers/tshark-oracle.js';
import { labSkip } from './helpers/lab-gate.js';
import type { AnalysisReport } from '../src/model/analysis-report.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const tmp = tempCaptures('kad-frag-', 'pcap');

function tcpFrames(base: string): RawFrame[] {
  return readEthernetPcap(join(REPO, 'captures', base)).filter((f) => {
    const ip = ipOf(f.data);
    const type = f.data.readUInt16BE(12);
    return (type === 0x0800 && ip[9] === 6) || (type === 0x86dd && ip[6] === 6);
  });
}

/**
 * Each TCP packet as fragments: the first `firstBytes` of its payload (16 cuts a SYN's header in two), then
 * 24-byte pieces; `reversed`: sent last first, as some stacks do.
 */
function fragmented(frames: RawFrame[], firstBytes: number, reversed = false): RawFrame[] {
  const out: RawFrame[] = [];
  frames.forEach((f, i) => {
    const ip = ipOf(f.data);
    const parts = fragmentIp(ip, firstBytes, 24, 0x100 + i);
    if (reversed) parts.reverse();
    parts.forEach((p, k) => out.push({ tsNs: f.tsNs + BigInt(k) * 1000n, data: ether(f.data.readUInt16BE(12), p) }));
  });
  return out;
}

const summary = (r: AnalysisReport) =>
  r.files[0]!.connections.map((c) => ({
    client: c.client,
    server: c.server,
    ended: [c.ended.kind, c.ended.by],
    keepalives: c.keepalives,
    c2s: c.c2s.payloadBytes,
  }));

describe('TCP in IP fragments, against tshark', { skip: noTshark }, () => {
  for (const base of ['fw-reset-keepalive.server.pcap', 'fw-reset-keepalive-v6.client.pcap', 'peer-abort.client.pcap']) {
    for (const [firstBytes, reversed] of [
      [16, false],
      [32, false],
      [16, true],
    ] as const) {
      test(`${base}, first fragment ${firstBytes} bytes${reversed ? ', last fragment first' : ''}`, () => {
        const plainFrames = tcpFrames(base);
        const plain = tmp.write(buildPcapRaw(plainFrames, { linkType: 1 }));
        const file = tmp.write(buildPcapRaw(fragmented(plainFrames, firstBytes, reversed), { linkType: 1 }));
        assert.deepEqual(compareWithTshark(file), []);
        const ours = kadEvents(file);
        const theirs = tsharkInner(file, base.includes('-v6'));
        assert.equal(ours.length, plainFrames.length);
        assert.equal(theirs.size, plainFrames.length);
        for (const e of ours) assert.deepEqual(innerOf(e), theirs.get(e.frame as number), `frame ${String(e.frame)}`);
        const kinds = (evs: Array<Record<string, unknown>>) => evs.map((e) => `${String(e.conn)} ${String(e.kind)} ${String(e.len)}`);
        assert.deepEqual(kinds(ours), kinds(kadEvents(plain)));
        const r = kadReport(file);
        assert.deepEqual(summary(r), summary(kadReport(plain)));
        const f = r.files[0]!;
        assert.equal(f.skipped.fragments, f.frames - f.tcpPackets, 'every other frame is a fragment');
      });
    }
  }

  test('fragments whose datagram never completes stay counted; more datagrams pending than kept is no crash', () => {
    const syn = tcpFrames('fw-reset-keepalive.server.pcap')[0]!;
    const frames: RawFrame[] = [];
    // 40 SYNs in fragments, all first fragments before any last one: the first 24 are forgotten.
    const parts = Array.from({ length: 40 }, (_, i) => fragmentIp(ipOf(syn.data), 16, 24, 0x4000 + i));
    let ts = syn.tsNs;
    for (const p of parts) for (const frag of p.slice(0, -1)) frames.push({ tsNs: (ts += 1000n), data: ether(0x0800, frag) });
    for (const p of parts) frames.push({ tsNs: (ts += 1000n), data: ether(0x0800, p[p.length - 1]!) });
    // And one datagram whose last fragment never comes.
    const lost = fragmentIp(ipOf(syn.data), 16, 24, 0x7777);
    for (const frag of lost.slice(0, -1)) frames.push({ tsNs: (ts += 1000n), data: ether(0x0800, frag) });
    const f = kadReport(tmp.write(buildPcapRaw(frames, { linkType: 1 }))).files[0]!;
    assert.equal(f.frames, frames.length);
    assert.equal(f.tcpPackets, 16, 'the 16 datagrams still held complete');
    assert.equal(f.skipped.fragments, frames.length - 16);
  });
});

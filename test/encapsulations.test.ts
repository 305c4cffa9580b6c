/**
 * TCP inside the encapsulations cloud mirrors, switch SPAN sessions, carrier
 * links, mobile cores and firewall logs use (issue 21, "Decode coverage").
 * Real TCP frames (the lab's own captures in captures/) are wrapped in each
 * outer header by helpers/encap-wrap.ts, from the specs; then every packet is
 * checked against tshark (inner addresses, sequence number, flags, length,
 * keepalive/RST classification, stream), the connections and verdicts
 * against kad's analysis of the unwrapped capture, and the tunnel tally
 * against what was wrapped. Garbled and truncated outer headers must give
 * counted skips, and a nesting of tunnels must end.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildPcapRaw, type RawFrame } from './helpers/capture-writer.js';
import {
  erspan1,
  erspan2,
  erspan3,
  ether,
  geneve,
  gre,
  gtpu,
  ipInIp,
  ipOf,
  ipoibLink,
  mpls,
  nflogLink,
  type Outer,
  outerIp,
  pppLink,
  pppoe,
  readEthernetPcap,
  vxlan,
} from './helpers/encap-wrap.js';
import { REPO, kadEvents, kadReport, runKad } from './helpers/run-kad.js';
import { tempCaptures } from './helpers/temp-captures.js';
import { compareWithTshark } from './helpers/tshark-oracle.js';
import { innerOf, tsharkInner } from './helpers/tshark-inner.js';
import { labSkip } from './helpers/lab-gate.js';
import { decodeFrame } from '../src/track/decode-frame.js';
import { DecodedTcp } from '../src/decode/decoded-tcp.js';
import { DECODED_TCP, DECODE_STATUS_COUNT, MALFORMED } from '../src/decode/decode-status.js';
import { newPacketRecord } from '../src/capture/packet-record.js';
import type { AnalysisReport, TunnelReport } from '../src/model/analysis-report.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const tmp = tempCaptures('kad-encap-', 'pcap');

const O4: Outer = { src: '203.0.113.1', dst: '203.0.113.2' };
const O6: Outer = { src: '2001:db8:ff::1', dst: '2001:db8:ff::2' };
const BASES = ['fw-reset-keepalive.server.pcap', 'fw-reset-keepalive-v6.client.pcap', 'peer-abort.client.pcap'];

interface Case {
  name: string;
  linkType: number;
  wrap: (eth: Buffer, i: number) => Buffer;
  /** What the tally should say (packets: every TCP packet of the capture); null: no tunnel. */
  tunnel: Omit<TunnelReport, 'packets'> | null;
  /** For tshark: ports Wireshark does not know by default. */
  decodeAs?: string[];
}

const none = { id: null, outerSrc: null, outerDst: null, prefix: null };
const o4 = { outerSrc: O4.src, outerDst: O4.dst, prefix: null };
const o6 = { outerSrc: O6.src, outerDst: O6.dst, prefix: null };

const CASES: Case[] = [
  { name: 'VXLAN (4789)', linkType: 1, wrap: (e) => vxlan(O4, 42, e), tunnel: { kind: 'vxlan', id: 42, ...o4 } },
  {
    name: "VXLAN on Linux's default port 8472",
    linkType: 1,
    wrap: (e) => vxlan(O4, 7, e, 8472),
    tunnel: { kind: 'vxlan', id: 7, ...o4 },
    decodeAs: ['udp.port==8472,vxlan'],
  },
  { name: 'VXLAN over IPv6', linkType: 1, wrap: (e) => vxlan(O6, 0xabcdef, e), tunnel: { kind: 'vxlan', id: 0xabcdef, ...o6 } },
  {
    name: 'VXLAN behind an 802.1Q tag',
    linkType: 1,
    wrap: (e) => {
      const f = vxlan(O4, 9, e);
      return Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), f.subarray(12)]);
    },
    tunnel: { kind: 'vxlan', id: 9, ...o4 },
  },
  {
    name: 'Geneve with options, Ethernet inside',
    linkType: 1,
    wrap: (e) => geneve(O4, 77, 0x6558, e, Buffer.from([0x01, 0x02, 0x80, 0x01, 0, 0, 0, 5])),
    tunnel: { kind: 'geneve', id: 77, ...o4 },
  },
  {
    name: 'Geneve, IP inside',
    linkType: 1,
    wrap: (e) => geneve(O4, 78, ipOf(e)[0]! >> 4 === 6 ? 0x86dd : 0x0800, ipOf(e)),
    tunnel: { kind: 'geneve', id: 78, ...o4 },
  },
  {
    name: 'GRE with checksum, key and sequence',
    linkType: 1,
    wrap: (e, i) => gre(O4, ipOf(e)[0]! >> 4 === 6 ? 0x86dd : 0x0800, ipOf(e), { checksum: true, key: 1001, seq: i }),
    tunnel: { kind: 'gre', id: 1001, ...o4 },
  },
  { name: 'gretap over IPv6', linkType: 1, wrap: (e) => gre(O6, 0x6558, e), tunnel: { kind: 'gre', id: null, ...o6 } },
  { name: 'ERSPAN type I', linkType: 1, wrap: (e) => erspan1(O4, e), tunnel: { kind: 'erspan-1', id: null, ...o4 } },
  { name: 'ERSPAN type II', linkType: 1, wrap: (e, i) => erspan2(O4, 300, e, i), tunnel: { kind: 'erspan-2', id: 300, ...o4 } },
  { name: 'ERSPAN type III', linkType: 1, wrap: (e, i) => erspan3(O4, 5, e, i), tunnel: { kind: 'erspan-3', id: 5, ...o4 } },
  {
    name: 'ERSPAN type III with a platform sub-header',
    linkType: 1,
    wrap: (e, i) => erspan3(O4, 6, e, i, true),
    tunnel: { kind: 'erspan-3', id: 6, ...o4 },
  },
  { name: 'MPLS, two labels', linkType: 1, wrap: (e) => mpls([1000, 20], ipOf(e)), tunnel: { kind: 'mpls', ...none, id: 20 } },
  {
    name: 'MPLS pseudowire with a control word, Ethernet inside',
    linkType: 1,
    wrap: (e) => mpls([16, 17], e, true),
    tunnel: { kind: 'mpls', ...none, id: 17 },
    decodeAs: ['mpls.label==17,pwethcw'],
  },
  { name: 'PPPoE session', linkType: 1, wrap: (e) => pppoe(0x1234, ipOf(e)), tunnel: { kind: 'pppoe', ...none, id: 0x1234 } },
  { name: 'GTP-U', linkType: 1, wrap: (e) => gtpu(O4, 0x1000abcd, ipOf(e)), tunnel: { kind: 'gtp-u', id: 0x1000abcd, ...o4 } },
  {
    name: 'GTP-U with an extension header',
    linkType: 1,
    wrap: (e) => gtpu(O4, 0x22, ipOf(e), true),
    tunnel: { kind: 'gtp-u', id: 0x22, ...o4 },
  },
  { name: 'IP-in-IP over IPv4', linkType: 1, wrap: (e) => ipInIp(O4, ipOf(e)), tunnel: { kind: 'ip-in-ip', id: null, ...o4 } },
  { name: 'IP-in-IP over IPv6', linkType: 1, wrap: (e) => ipInIp(O6, ipOf(e)), tunnel: { kind: 'ip-in-ip', id: null, ...o6 } },
  {
    name: 'VXLAN inside GRE: the outermost tunnel names it',
    linkType: 1,
    wrap: (e) => {
      const inner = vxlan({ src: '198.51.100.200', dst: '198.51.100.201' }, 5, e);
      return gre(O4, 0x0800, inner.subarray(14), { key: 3 });
    },
    tunnel: { kind: 'gre', id: 3, ...o4 },
  },
  { name: 'PPP link type', linkType: 9, wrap: (e) => pppLink(ipOf(e)), tunnel: null },
  { name: 'PPP in HDLC-like framing link type', linkType: 50, wrap: (e) => pppLink(ipOf(e)), tunnel: null },
  {
    name: 'PPPoE without Ethernet link type',
    linkType: 51,
    wrap: (e) => pppoe(0x77, ipOf(e)).subarray(14),
    tunnel: { kind: 'pppoe', ...none, id: 0x77 },
  },
  { name: 'IPoIB link type', linkType: 242, wrap: (e) => ipoibLink(ipOf(e)), tunnel: null },
  {
    name: 'NFLOG link type',
    linkType: 239,
    wrap: (e) => nflogLink(1, 'kad-fw drop', ipOf(e)),
    tunnel: { kind: 'nflog', id: 1, outerSrc: null, outerDst: null, prefix: 'kad-fw drop' },
  },
];

/** The base capture's IP frames (the wraps that carry IP, not Ethernet, have no room for its ARP). */
function ipFrames(base: string): RawFrame[] {
  return readEthernetPcap(join(REPO, 'captures', base)).filter((f) => [0x0800, 0x86dd].includes(f.data.readUInt16BE(12)));
}

function wrapCapture(base: string, c: Case): { file: string; frames: RawFrame[] } {
  const frames = ipFrames(base).map((f, i) => {
    const data = c.wrap(f.data, i);
    return { tsNs: f.tsNs, data, origLen: data.length };
  });
  return { file: tmp.write(buildPcapRaw(frames, { linkType: c.linkType })), frames };
}

/** What a connection is, whatever carried it: endpoints, how it ended, its verdict. */
function connectionsOf(r: AnalysisReport): unknown[] {
  const f = r.files[0]!;
  return f.connections.map((c) => ({
    id: c.id,
    client: c.client,
    server: c.server,
    ended: c.ended,
    keepalives: c.keepalives,
    diagnosis: f.diagnoses.find((d) => d.conn === c.id) ?? null,
  }));
}

describe('TCP inside encapsulations, against tshark and the unwrapped capture', { skip: noTshark }, () => {
  for (const base of BASES) {
    const plain = tmp.write(buildPcapRaw(ipFrames(base), { linkType: 1 }));
    const v6 = base.includes('-v6');
    const plainEvents = kadEvents(plain);
    const plainConnections = connectionsOf(kadReport(plain));
    for (const c of CASES) {
      test(`${c.name}: ${base}`, () => {
        const { file } = wrapCapture(base, c);
        // Every packet: inner addresses, sequence number, flags and length as tshark reads them.
        const theirs = tsharkInner(file, v6, c.decodeAs);
        const ours = kadEvents(file);
        assert.equal(theirs.size, plainEvents.length, 'tshark finds every TCP packet inside');
        assert.equal(ours.length, plainEvents.length, 'kad finds every TCP packet inside');
        for (const e of ours) assert.deepEqual(innerOf(e), theirs.get(e.frame as number), `frame ${String(e.frame)}`);
        // Keepalive, keepalive ACK, RST and stream agreement (the oracle every capture is held to).
        if (!c.decodeAs) assert.deepEqual(compareWithTshark(file), []);
        // The inner flow is the connection: the same packets, kinds, connections and verdicts as unwrapped.
        assert.deepEqual(ours, plainEvents);
        const report = kadReport(file);
        assert.deepEqual(connectionsOf(report), plainConnections);
        const f = report.files[0]!;
        assert.deepEqual(f.tunnels, { listed: c.tunnel ? [{ ...c.tunnel, packets: plainEvents.length }] : [], otherPackets: 0 });
        assert.equal(f.ipLengthBeyondFrame, 0);
      });
    }
  }
});

test('the text report and the HTML page name the tunnel', { skip: noTshark }, () => {
  const { file } = wrapCapture(BASES[0]!, CASES[0]!);
  const r = runKad(['analyze', '--no-color', '--html', join(tmp.dir, 'report.html'), file]);
  assert.equal(r.status, 0, r.stderr);
  const tcp = r.stdout.match(/, (\d+) TCP packets/)?.[1];
  assert.match(r.stdout, new RegExp(`^  tunnels: vxlan VNI 42 ${O4.src} → ${O4.dst}: ${tcp} TCP packets$`, 'm'));
  const html = readFileSync(join(tmp.dir, 'report.html'), 'utf8');
  assert.match(html, new RegExp(`<dt>Tunnels</dt><dd>vxlan VNI 42 ${O4.src} → ${O4.dst}: ${tcp} TCP packets</dd>`));
});

/** Where the inner TCP header starts in a wrapped frame (every wrap ends with the inner IP packet). */
function innerTcpAt(wrapped: Buffer, innerIp: Buffer): number {
  const ipHeader = innerIp[0]! >> 4 === 6 ? 40 : (innerIp[0]! & 0x0f) * 4;
  return wrapped.length - innerIp.length + ipHeader;
}

function decodeStatus(frame: Buffer, linkType: number, capLen: number, origLen: number): number {
  const rec = newPacketRecord();
  rec.buf = frame;
  rec.capLen = capLen;
  rec.origLen = origLen;
  rec.linkType = linkType;
  return decodeFrame(rec, new DecodedTcp());
}

describe('truncated and garbled outer headers are counted skips, never a crash', () => {
  const syn = ipFrames(BASES[0]!)[0]!.data;
  for (const c of CASES) {
    test(c.name, () => {
      const full = c.wrap(syn, 0);
      const tcpAt = innerTcpAt(full, ipOf(syn));
      assert.equal(decodeStatus(full, c.linkType, full.length, full.length), DECODED_TCP);
      for (let cut = 0; cut < full.length; cut++) {
        // Cut by the snaplen (the wire length is the whole frame) or truly that short: never a usable TCP
        // header before the inner one's first 20 bytes, and always a status that is counted.
        for (const origLen of [cut, full.length]) {
          const s = decodeStatus(full, c.linkType, cut, origLen);
          assert.ok(s >= 0 && s < DECODE_STATUS_COUNT, `cut ${cut}: status ${s}`);
          if (cut < tcpAt + 20) assert.notEqual(s, DECODED_TCP, `cut at ${cut} of ${full.length}, inner TCP at ${tcpAt}`);
        }
      }
      for (let at = 0; at < tcpAt; at++) {
        for (const v of [0x00, 0xff, full[at]! ^ 0x80, full[at]! ^ 0x01]) {
          const garbled = Buffer.from(full);
          garbled[at] = v;
          const s = decodeStatus(garbled, c.linkType, garbled.length, garbled.length);
          assert.ok(s >= 0 && s < DECODE_STATUS_COUNT, `byte ${at} = ${v}: status ${s}`);
        }
      }
    });
  }

  test('tunnels nested without end stop at the layer bound', () => {
    let ip = ipOf(syn);
    for (let k = 0; k < 40; k++) ip = outerIp(O4, 4, ip);
    assert.equal(decodeStatus(ether(0x0800, ip), 1, ip.length + 14, ip.length + 14), MALFORMED);
    // An MPLS stack whose bottom never comes.
    const labels = Buffer.alloc(4 * 64);
    for (let k = 0; k < 64; k++) labels.writeUInt32BE((k + 16) << 12, 4 * k);
    const stack = ether(0x8847, labels);
    assert.equal(decodeStatus(stack, 1, stack.length, stack.length), MALFORMED);
  });

  test('kad analyze counts a capture of damaged tunnels frame by frame and exits 0', () => {
    const frames: RawFrame[] = [];
    let ts = 1_700_000_000_000_000_000n;
    for (const c of CASES.filter((k) => k.linkType === 1)) {
      const full = c.wrap(syn, 0);
      const tcpAt = innerTcpAt(full, ipOf(syn));
      for (let cut = 1; cut < tcpAt; cut += 3) frames.push({ tsNs: (ts += 1000n), data: full.subarray(0, cut) });
      frames.push({ tsNs: (ts += 1000n), data: full });
    }
    const file = tmp.write(buildPcapRaw(frames, { linkType: 1 }));
    const f = kadReport(file).files[0]!;
    const skipped = Object.values(f.skipped).reduce((a, b) => a + b, 0);
    assert.equal(f.frames, frames.length);
    assert.equal(f.tcpPackets + skipped, frames.length);
    assert.equal(f.tcpPackets, CASES.filter((k) => k.linkType === 1).length);
  });
});

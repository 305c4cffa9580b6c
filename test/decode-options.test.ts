import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newPacketRecord } from '../src/capture/packet-record.js';
import { decodeFrame } from '../src/track/decode-frame.js';
import { DECODED_TCP } from '../src/decode/decode-status.js';
import { DecodedTcp } from '../src/decode/decoded-tcp.js';
import { LINKTYPE_RAW } from '../src/capture/link-types.js';
import { buildIpTcp, type TcpSpec } from './helpers/capture-builder.js';

const base: TcpSpec = { tsNs: 0n, src: '192.0.2.10', dst: '198.51.100.20', sport: 40000, dport: 443, flags: 'A', seq: 1000, ack: 2000 };

function decode(ip: Buffer, capLen = ip.length): DecodedTcp {
  const rec = newPacketRecord();
  rec.buf = ip;
  rec.offset = 0;
  rec.capLen = capLen;
  rec.origLen = ip.length;
  rec.linkType = LINKTYPE_RAW;
  const out = new DecodedTcp();
  assert.equal(decodeFrame(rec, out), DECODED_TCP);
  return out;
}

test('the usual NOP, NOP, timestamps layout is read without walking the option list', () => {
  const p = decode(buildIpTcp({ ...base, options: { ts: [123, 456] } }));
  assert.equal(p.hasTimestamps, true);
  assert.equal(p.mss, -1);
  assert.equal(p.wscale, -1);
  assert.equal(p.sackPerm, false);
});

test('a timestamps option cut by the snaplen does not count', () => {
  const ip = buildIpTcp({ ...base, options: { ts: [123, 456] } });
  // 20 bytes of IPv4, 20 of TCP, then NOP NOP 8 10 and only 4 of the 8 timestamp bytes.
  assert.equal(decode(ip, 20 + 20 + 8).hasTimestamps, false);
  assert.equal(decode(ip, 20 + 20 + 12).hasTimestamps, true);
  // Cut inside the NOPs: nothing to recognise.
  assert.equal(decode(ip, 20 + 20 + 2).hasTimestamps, false);
});

test('other layouts go through the option walk: timestamps first, SYN options', () => {
  const ip = buildIpTcp({ ...base, options: { ts: [123, 456] } });
  // Rewrite the 12 option bytes as timestamps then NOP, NOP.
  const o = 20 + 20;
  const ts = Buffer.from(ip.subarray(o + 2, o + 12));
  ts.copy(ip, o);
  ip[o + 10] = 1;
  ip[o + 11] = 1;
  assert.equal(decode(ip).hasTimestamps, true);

  const syn = decode(buildIpTcp({ ...base, flags: 'S', options: { mss: 1460, sackPerm: true, ts: [1, 0], wscale: 7 } }));
  assert.deepEqual([syn.mss, syn.wscale, syn.sackPerm, syn.hasTimestamps], [1460, 7, true, true]);
  const bare = decode(buildIpTcp({ ...base, flags: 'S', options: { mss: 1400 } }));
  assert.deepEqual([bare.mss, bare.wscale, bare.sackPerm, bare.hasTimestamps], [1400, -1, false, false]);
});

/**
 * The pcap reader against other readers of the same files: tshark, editcap's
 * conversions and tcpdump. The reader's fields against the file-format spec
 * are checked in test/capture-pcap.test.ts, without any of these tools.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildPcap, epochString, sampleConversation, tsharkFrames, type LinkKind, type TcpSpec } from '../helpers/capture-builder.js';
import { labSkip } from '../helpers/lab-gate.js';
import { collect } from '../helpers/record-collector.js';
import { itemAt } from '../helpers/checked.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const noEditcap = labSkip(import.meta.url, { tools: ['editcap'] });
const noEditcapTshark = labSkip(import.meta.url, { tools: ['editcap', 'tshark'] });
const noTcpdump = labSkip(import.meta.url, { tools: ['tcpdump'] });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kad-pcap-tools-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function writeTmp(data: Buffer, ext = 'pcap'): string {
  const p = path.join(dir, `f${fileNo++}.${ext}`);
  fs.writeFileSync(p, data);
  return p;
}

/** Mixed traffic: IPv4 handshake/data, an IPv6 RST, a frame cut by the snaplen (as in capture-pcap.test.ts). */
function specs(): TcpSpec[] {
  const s = sampleConversation(6);
  s.push({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    sport: 5000,
    dport: 80,
    seq: 4294967295,
    ack: 1,
    flags: 'RA',
    tsNs: 1_700_000_002_000_000_001n,
  });
  s.push({
    src: '203.0.113.7',
    dst: '192.0.2.1',
    sport: 443,
    dport: 40000,
    seq: 1,
    ack: 2,
    flags: 'PA',
    payload: 1400,
    snap: 96,
    tsNs: 1_700_000_002_999_999_999n,
  });
  return s;
}

for (const nano of [false, true]) {
  for (const bigEndian of [false, true]) {
    const variant = `${nano ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian`;
    test(`pcap ${variant}: timestamps, lengths and frame numbers agree with tshark`, { skip: noTshark }, async () => {
      for (const link of ['ether', 'sll2', 'null'] as LinkKind[]) {
        const file = writeTmp(buildPcap(specs(), { link, nano, bigEndian }));
        const { recs } = await collect(file);
        const want = tsharkFrames(file);
        assert.equal(recs.length, want.length);
        recs.forEach((r, i) => {
          const expected = itemAt(want, i, 'tshark frame');
          assert.equal(r.frame, expected.frame);
          assert.equal(epochString(r.tsSec, r.tsNsec), expected.epoch);
          assert.equal(r.capLen, expected.capLen);
          assert.equal(r.origLen, expected.len);
        });
      }
    });
  }
}

test('pcap: editcap -F nsecpcap / -F pcap conversions read back identically', { skip: noEditcap }, async () => {
  const usFile = writeTmp(buildPcap(specs()));
  const nsFile = path.join(dir, 'conv-ns.pcap');
  const backFile = path.join(dir, 'conv-us.pcap');
  execFileSync('editcap', ['-F', 'nsecpcap', usFile, nsFile]);
  execFileSync('editcap', ['-F', 'pcap', nsFile, backFile]);
  const a = await collect(usFile);
  const b = await collect(nsFile);
  const c = await collect(backFile);
  assert.equal(b.summary.tsResolutionNs, 1);
  assert.equal(c.summary.tsResolutionNs, 1000);
  for (const other of [b, c]) {
    assert.equal(other.recs.length, a.recs.length);
    other.recs.forEach((r, i) => {
      const ra = itemAt(a.recs, i, 'record');
      assert.equal(r.tsSec, ra.tsSec);
      assert.equal(r.tsNsec, ra.tsNsec);
      assert.equal(r.origLen, ra.origLen);
      assert.ok(r.data.equals(ra.data));
    });
  }
});

test('pcap: ns timestamps from editcap agree with tshark down to the nanosecond', { skip: noEditcapTshark }, async () => {
  const file = writeTmp(buildPcap(specs(), { nano: true, bigEndian: true }));
  const le = path.join(dir, 'ns-le.pcap');
  execFileSync('editcap', ['-F', 'nsecpcap', file, le]);
  const { recs } = await collect(le);
  const want = tsharkFrames(le);
  assert.deepEqual(
    recs.map((r) => epochString(r.tsSec, r.tsNsec)),
    want.map((w) => w.epoch),
  );
  assert.ok(
    want.some((w) => !w.epoch.endsWith('000')),
    'fixture must have sub-µs digits',
  );
});

test('pcap: record count and µs timestamps agree with tcpdump -r', { skip: noTcpdump }, async () => {
  const file = writeTmp(buildPcap(specs(), { bigEndian: true }));
  const out = execFileSync('tcpdump', ['-tt', '-nn', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const stamps = out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(' ')[0]);
  const { recs } = await collect(file);
  assert.deepEqual(
    recs.map((r) => `${r.tsSec}.${String(r.tsNsec / 1000).padStart(6, '0')}`),
    stamps,
  );
});

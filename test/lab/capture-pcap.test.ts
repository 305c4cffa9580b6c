/**
 * The pcap reader against other readers of the same files: tshark, editcap's
 * conversions and tcpdump. The reader's fields against the file-format spec
 * are checked in test/capture-pcap.test.ts, without any of these tools.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildPcap, epochString, tsharkFrames, type LinkKind, mixedPcapConversation } from '../helpers/capture-builder.js';
import { labSkip } from '../helpers/lab-gate.js';
import { collect } from '../helpers/record-collector.js';
import { itemAt } from '../helpers/checked.js';
import { tempCaptures } from '../helpers/temp-captures.js';

const noTshark = labSkip(import.meta.url, { tools: ['tshark'] });
const noEditcap = labSkip(import.meta.url, { tools: ['editcap'] });
const noEditcapTshark = labSkip(import.meta.url, { tools: ['editcap', 'tshark'] });
const noTcpdump = labSkip(import.meta.url, { tools: ['tcpdump'] });

const { dir, write: writeTmp } = tempCaptures('kad-pcap-tools-', 'pcap');

for (const nano of [false, true]) {
  for (const bigEndian of [false, true]) {
    const variant = `${nano ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian`;
    test(`pcap ${variant}: timestamps, lengths and frame numbers agree with tshark`, { skip: noTshark }, async () => {
      for (const link of ['ether', 'sll2', 'null'] as LinkKind[]) {
        const file = writeTmp(buildPcap(mixedPcapConversation(), { link, nano, bigEndian }));
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
  const usFile = writeTmp(buildPcap(mixedPcapConversation()));
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
  const file = writeTmp(buildPcap(mixedPcapConversation(), { nano: true, bigEndian: true }));
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
  const file = writeTmp(buildPcap(mixedPcapConversation(), { bigEndian: true }));
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

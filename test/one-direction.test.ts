import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPcap, type TcpSpec } from './helpers/capture-builder.js';
import { compareWithTshark, tsharkFrames } from './helpers/tshark-oracle.js';

/*
 * A capture that shows one direction only (an asymmetric route, a mirror of
 * one port, an NFLOG rule on one chain): the peer never announced a window,
 * so 1-byte segments at the next sequence number are data (a terminal's
 * keystrokes), not zero-window probes. tshark is the oracle.
 */

const CLIENT = { src: '192.0.2.10', dst: '198.51.100.10', sport: 40000, dport: 23 };
const T0 = 1_700_000_000_000_000_000n;

function oneByteSegments(n: number, from: number): TcpSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    ...CLIENT,
    seq: from + i,
    ack: 5000,
    flags: 'PA',
    payload: 1,
    tsNs: T0 + BigInt(i) * 200_000_000n,
  }));
}

test('one direction only: 1-byte segments are data, as tshark says, not probes of a window never seen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kad-onedir-'));
  try {
    const file = join(dir, 'one-dir.pcap');
    writeFileSync(file, buildPcap(oneByteSegments(6, 1000), { nano: true }));
    assert.deepEqual(compareWithTshark(file), []);
    // With the peer's zero window in the capture, the same segment is a probe, for both.
    const withPeer: TcpSpec[] = [
      ...oneByteSegments(1, 1000),
      {
        src: CLIENT.dst,
        dst: CLIENT.src,
        sport: CLIENT.dport,
        dport: CLIENT.sport,
        seq: 5000,
        ack: 1001,
        flags: 'A',
        win: 0,
        tsNs: T0 + 100_000_000n,
      },
      ...oneByteSegments(1, 1001).map((p) => ({ ...p, tsNs: T0 + 300_000_000n })),
    ];
    const file2 = join(dir, 'zero-window.pcap');
    writeFileSync(file2, buildPcap(withPeer, { nano: true }));
    assert.deepEqual(
      tsharkFrames(file2).map((f) => f.zeroWindowProbe),
      [false, false, true],
      'tshark flags the probe once the window is seen',
    );
    assert.deepEqual(compareWithTshark(file2), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeSockets } from '../src/audit/socket-summary.js';
import { annotateSockets } from '../src/sockets/annotate-sockets.js';
import { readProcSockets } from '../src/sockets/proc-sockets.js';
import type { ProcSource } from '../src/sockets/proc-source.js';
import { SockdiagDecoder } from '../src/sockets/sockdiag-decode.js';
import { SOCKDIAG_HEADER_BYTES, SOCKDIAG_RECORD_BYTES } from '../src/sockets/sockdiag-layout.js';
import { readSocketTable } from '../src/sockets/socket-table.js';
import { streamHeader, writeRecord } from './helpers/sockdiag-records.js';

/**
 * A host with a million sockets: the table must come through whole on every
 * path that reads it (audit, recommend, watch --sockets, live). Spreading it
 * into one call (push(...rows), Math.max(...xs)) overflowed the stack near
 * 120 k rows, which is how audit, recommend and watch --sockets died at
 * 190 k sockets. No timing is asserted: a slow machine must not fail this.
 */
const ROWS = 1_000_000;

/** Row i of /proc/net/tcp: 192.0.2.1:8080 ↔ 192.0.2.x, as the kernel prints it on a little-endian host. */
function procLine(i: number): string {
  const port = (1024 + (i % 60000)).toString(16).toUpperCase().padStart(4, '0');
  const peer = ((i >>> 8) & 0xff).toString(16).padStart(2, '0').toUpperCase();
  return `${i}: 0100C0C0:1F90 ${peer}0200C0:${port} 01 00000000:00000000 02:000007B9 00000000     0        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1`;
}

/** A /proc that streams ROWS lines of net/tcp and never holds them as one string. */
function bigProc(): ProcSource {
  return {
    roots: { procRoot: '/nonexistent', sysctlRoot: '/nonexistent' },
    read: () => ({ ok: false, reason: 'missing', message: 'not in this fake' }),
    readLines: (file: string, onLine: (line: string) => void) => {
      if (file !== 'net/tcp') return { ok: false, reason: 'missing', message: 'not in this fake' };
      onLine('  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode');
      for (let i = 0; i < ROWS; i++) onLine(procLine(i));
      return { ok: true };
    },
  } as unknown as ProcSource;
}

test('the /proc socket table reads 1 M sockets, and the audit summarises them, without overflowing the stack', () => {
  const table = readSocketTable(bigProc());
  assert.equal(table.entries.length, ROWS);
  assert.equal(table.entries.at(-1)?.inode, 100000 + ROWS - 1);
  assert.equal(table.entries[0]?.state, 'ESTABLISHED');
  const summary = summarizeSockets(table.entries, { low: 32768, high: 60999 }, new Set());
  assert.equal(summary.total, ROWS);
  assert.equal(summary.keepalive.keepaliveArmed, ROWS);
});

test('the /proc fallback of readSockets turns 1 M rows into sockets', () => {
  const { sockets } = readProcSockets(bigProc());
  assert.equal(sockets.length, ROWS);
  assert.equal(sockets.at(-1)?.keepaliveTimer.state, 'on');
});

/**
 * ROWS sock_diag records, pushed to the decoder in 1 MiB chunks that cut
 * records anywhere (as a pipe does). Every 1000th socket has been idle for
 * 400 s without keepalive: at risk against a 350 s timeout.
 */
function decodeMillion(): { sockets: ReturnType<SockdiagDecoder['end']>; atRiskExpected: number } {
  const d = new SockdiagDecoder();
  const CHUNK = 1 << 20;
  const stream = Buffer.alloc(SOCKDIAG_HEADER_BYTES + ROWS * SOCKDIAG_RECORD_BYTES);
  streamHeader().copy(stream, 0);
  let atRiskExpected = 0;
  for (let i = 0; i < ROWS; i++) {
    const idle = i % 1000 === 0 ? 400_000 : 1000;
    if (idle > 280_000) atRiskExpected++;
    writeRecord(stream, SOCKDIAG_HEADER_BYTES + i * SOCKDIAG_RECORD_BYTES, {
      state: 1,
      timer: i % 1000 === 0 ? 0 : 2,
      expiresMs: 7_000_000,
      sport: 1024 + (i % 60000),
      dport: 5432,
      src: [192, 0, 2, 1 + (i % 200)],
      dst: [198, 51, 100, 1 + Math.floor(i / 60000)],
      inode: 100000 + i,
      cookie: [i, 1],
      info: { lastSend: idle, lastRecv: idle, lastAck: idle },
    });
  }
  for (let off = 0; off < stream.length; off += CHUNK) d.push(stream.subarray(off, off + CHUNK));
  return { sockets: d.end(), atRiskExpected };
}

test('sock_diag records for 1 M sockets decode and are judged (the watch and live path) without overflowing the stack', () => {
  const { sockets, atRiskExpected } = decodeMillion();
  assert.equal(sockets.length, ROWS);
  assert.equal(sockets.at(-1)?.inode, 100000 + ROWS - 1);
  assert.equal(sockets[1]?.cookie, '100000001');
  const risks = annotateSockets(sockets, null, { idleTimeoutS: 350 });
  assert.equal(risks.length, atRiskExpected);
  assert.equal(
    sockets.filter((s) => s.atRisk).length,
    atRiskExpected,
    'each socket idle past 80 % of 350 s without keepalive, and no other, is at risk',
  );
});

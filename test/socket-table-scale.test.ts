import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSocketTable } from '../src/sockets/socket-table.js';
import type { ProcSource } from '../src/sockets/proc-source.js';

/**
 * A host with hundreds of thousands of sockets: the table must come through
 * whole. Spreading it into one call (push(...rows)) overflowed the stack
 * near 120 k rows, which is how audit, recommend and watch --sockets died at
 * 190 k sockets.
 */
const ROWS = 300_000;

function procNetTcp(rows: number): string {
  const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
  for (let i = 0; i < rows; i++) {
    const port = (1024 + (i % 60000)).toString(16).toUpperCase().padStart(4, '0');
    const peer = (i >>> 8) & 0xff;
    // 192.0.2.x as the kernel prints it on a little-endian host.
    lines.push(
      `${i}: 0A0200C0:1F90 ${peer.toString(16).padStart(2, '0').toUpperCase()}0200C0:${port} 01 00000000:00000000 02:000007B9 00000000     0        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1`,
    );
  }
  return `${lines.join('\n')}\n`;
}

test('the socket table reads 300 k sockets without overflowing the stack', () => {
  const text = procNetTcp(ROWS);
  const source = {
    roots: { procRoot: '/nonexistent', sysctlRoot: '/nonexistent' },
    read: (file: string) => (file === 'net/tcp' ? { ok: true as const, text } : { ok: false as const, reason: 'ENOENT' }),
  } as unknown as ProcSource;
  const table = readSocketTable(source);
  assert.equal(table.entries.length, ROWS);
  assert.equal(table.entries.at(-1)?.inode, 100000 + ROWS - 1);
  assert.equal(table.entries[0]?.state, 'ESTABLISHED');
});

/**
 * kad-sockdiag's records, built byte by byte here as the C helper writes
 * them (native/sockdiag/kad-sockdiag.c), through the decoder that the
 * sock_diag reader uses. The lab test (test/lab/sockdiag-netns.test.ts)
 * checks the helper itself against ss on real sockets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SockdiagDecoder, SockdiagFormatError } from '../src/sockets/sockdiag-decode.js';
import * as layout from '../src/sockets/sockdiag-layout.js';
import { SOCKDIAG_HEADER_BYTES, SOCKDIAG_MAGIC, SOCKDIAG_RECORD_BYTES } from '../src/sockets/sockdiag-layout.js';
import { sockdiagStream, streamHeader, type RecordFields } from './helpers/sockdiag-records.js';

const v4 = (a: number, b: number, c: number, d: number): number[] => [a, b, c, d];
const mapped = (a: number, b: number, c: number, d: number): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d];
const v6 = (text: string): number[] => {
  // 2001:db8::N only: enough for these rows.
  const n = Number(text.split('::')[1]);
  return [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n >> 8, n & 0xff];
};

const KEEPALIVE: RecordFields = {
  state: 1,
  timer: 2,
  retrans: 1,
  expiresMs: 4560,
  sport: 5432,
  dport: 40001,
  src: v4(192, 0, 2, 1),
  dst: v4(198, 51, 100, 7),
  rqueue: 3,
  wqueue: 9,
  uid: 1000,
  inode: 123456,
  cookie: [0xdeadbeef, 0x12],
  info: { lastSend: 9000, lastRecv: 8000, lastAck: 7000, probes: 1, backoff: 0 },
};
const NO_TIMER: RecordFields = {
  family: 6,
  state: 1,
  sport: 40002,
  dport: 443,
  src: mapped(203, 0, 113, 5),
  dst: mapped(192, 0, 2, 9),
  cookie: [5, 0],
};
const V6_RETRANS: RecordFields = {
  family: 6,
  state: 1,
  timer: 1,
  retrans: 3,
  expiresMs: 200,
  sport: 22,
  dport: 50000,
  src: v6('2001:db8::1'),
  dst: v6('2001:db8::2'),
  info: { lastSend: 10, lastRecv: 20, lastAck: 30 },
};
const FIN_WAIT2: RecordFields = { state: 5, timer: 2, expiresMs: 30_000, sport: 1, dport: 2, src: v4(192, 0, 2, 1), dst: v4(192, 0, 2, 2) };

function decodeAll(stream: Buffer, chunk = stream.length): ReturnType<SockdiagDecoder['end']> {
  const d = new SockdiagDecoder();
  for (let off = 0; off < stream.length; off += chunk) d.push(stream.subarray(off, off + chunk));
  return d.end();
}

test('a keepalive socket: addresses, ports, timer, probes, queues, owner uid, inode, cookie and idle clocks', () => {
  const [s] = decodeAll(sockdiagStream([KEEPALIVE]));
  assert.ok(s);
  assert.equal(s.source, 'sock_diag');
  assert.equal(s.state, 'ESTABLISHED');
  assert.deepEqual(s.local, { family: 4, addr: '192.0.2.1', port: 5432 });
  assert.deepEqual(s.peer, { family: 4, addr: '198.51.100.7', port: 40001 });
  assert.deepEqual(s.timer, { name: 'keepalive', expiresMs: 4560, count: 1 });
  assert.deepEqual(s.keepaliveTimer, { state: 'on', nextProbeS: 4.56 });
  assert.equal(s.probesOut, 1);
  assert.deepEqual([s.recvQ, s.sendQ, s.uid, s.inode], [3, 9, 1000, 123456]);
  assert.equal(s.cookie, '12deadbeef', 'hex, as ss prints sk:');
  assert.deepEqual([s.lastSendMs, s.lastRecvMs, s.lastAckMs], [9000, 8000, 7000]);
  assert.equal(s.idleMs, 7000, 'the newest of the three clocks');
  assert.equal(s.idleFrom, 'socket');
  assert.equal(s.pid, null, 'owners are resolved later, for the rows that need one');
});

test('no tcp_info: no idle clocks; v4-mapped IPv6 reads as IPv4; IPv6 as RFC 5952 text', () => {
  const [plain, six] = decodeAll(sockdiagStream([NO_TIMER, V6_RETRANS]));
  assert.ok(plain && six);
  assert.deepEqual(plain.local, { family: 4, addr: '203.0.113.5', port: 40002 });
  assert.deepEqual(plain.peer, { family: 4, addr: '192.0.2.9', port: 443 });
  assert.equal(plain.timer.name, 'off');
  assert.deepEqual(plain.keepaliveTimer, { state: 'off' });
  assert.equal(plain.idleMs, null);
  assert.equal(plain.lastSendMs, null);
  assert.equal(plain.cookie, '5');
  assert.deepEqual(six.local, { family: 6, addr: '2001:db8::1', port: 22 });
  assert.deepEqual(six.peer, { family: 6, addr: '2001:db8::2', port: 50000 });
  assert.deepEqual(six.timer, { name: 'on', expiresMs: 200, count: 3 });
  assert.equal(six.probesOut, 0, 'retransmits are not keepalive probes');
  assert.equal(six.idleMs, 10);
});

test('the sk_timer of a FIN_WAIT2 socket is not keepalive', () => {
  const [s] = decodeAll(sockdiagStream([FIN_WAIT2]));
  assert.equal(s?.state, 'FIN_WAIT2');
  assert.equal(s?.timer.name, 'keepalive');
  assert.deepEqual(s?.keepaliveTimer, { state: 'off' });
});

test('records cut anywhere by the pipe decode the same as whole', () => {
  const stream = sockdiagStream([KEEPALIVE, NO_TIMER, V6_RETRANS, FIN_WAIT2]);
  const whole = decodeAll(stream);
  for (const chunk of [1, 3, 7, SOCKDIAG_RECORD_BYTES - 1, SOCKDIAG_RECORD_BYTES + 5]) {
    assert.deepEqual(decodeAll(stream, chunk), whole, `chunks of ${chunk} bytes`);
  }
  assert.equal(whole.length, 4);
});

test('a stream that is not kad-sockdiag, a different record size, or a cut record: one clear error each', () => {
  assert.throws(
    () => decodeAll(Buffer.from('State  Recv-Q Send-Q\n')),
    (e: unknown) => e instanceof SockdiagFormatError && /not a kad-sockdiag stream/.test(e.message),
  );
  assert.throws(
    () => decodeAll(streamHeader(SOCKDIAG_RECORD_BYTES + 8)),
    (e: unknown) => e instanceof SockdiagFormatError && /rebuild it/.test(e.message),
  );
  const cut = sockdiagStream([KEEPALIVE]).subarray(0, SOCKDIAG_HEADER_BYTES + 40);
  assert.throws(
    () => decodeAll(cut),
    (e: unknown) => e instanceof SockdiagFormatError && /inside a record/.test(e.message),
  );
  assert.throws(() => decodeAll(Buffer.alloc(0)), /no header/);
  assert.deepEqual(decodeAll(streamHeader()), [], 'a namespace without sockets is an empty table');
});

test('an unknown state code is skipped, not guessed', () => {
  const rows = decodeAll(sockdiagStream([{ ...NO_TIMER, state: 99 }, KEEPALIVE]));
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.inode, 123456);
});

test('the C helper and the decoder agree on the record: its size and every offset the helper writes', () => {
  const c = readFileSync(fileURLToPath(new URL('../../native/sockdiag/kad-sockdiag.c', import.meta.url)), 'utf8');
  assert.match(c, new RegExp(`#define RECORD_BYTES ${SOCKDIAG_RECORD_BYTES}\\b`));
  assert.match(c, new RegExp(`put\\("${SOCKDIAG_MAGIC}", 4\\)`));
  const written = new Set<number>();
  for (const m of c.matchAll(/memcpy\(r \+ (\d+),|r\[(\d+)\] =/g)) written.add(Number(m[1] ?? m[2]));
  const declared = Object.entries(layout)
    .filter(([k]) => k.startsWith('R_'))
    .map(([, v]) => v as number);
  assert.deepEqual(
    [...written].sort((a, b) => a - b),
    [...new Set(declared)].sort((a, b) => a - b),
  );
});

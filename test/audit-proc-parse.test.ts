import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcNetTcp, formatIpv6 } from '../src/sockets/socket-table.js';
import { summarizeSockets } from '../src/audit/socket-summary.js';
import { parseNofile } from '../src/audit/nofile-limits.js';
import { parsePortRange, parseReservedPorts } from '../src/audit/rules/port-rules.js';
import { retries2Seconds } from '../src/audit/rules/keepalive-rules.js';
import { itemAt } from './helpers/checked.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

// Little-endian host: each 32-bit word is printed byte-reversed (0100007F = 127.0.0.1).
const TCP4 =
  HEADER +
  '   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0\n' +
  '   1: 0100007F:9C40 0100007F:1388 01 00000000:00000000 02:0000022E 00000000  1000        0 2222 1 0000000000000000 20 4 30 10 -1\n' +
  '   2: 0A0200C0:D431 077100CB:01BB 01 00000010:00000000 00:00000000 00000000  1000        0 3333 1 0000000000000000 20 4 30 10 -1\n' +
  '   3: 0100007F:9C41 0100007F:1388 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n';

test('IPv4 lines: addresses, ports, states, timers', () => {
  const e = parseProcNetTcp(TCP4, 4, true);
  assert.equal(e.length, 4);
  assert.deepEqual(itemAt(e, 0, 'entry').local, { family: 4, addr: '127.0.0.1', port: 5000 });
  assert.equal(itemAt(e, 0, 'entry').state, 'LISTEN');
  assert.equal(itemAt(e, 1, 'entry').state, 'ESTABLISHED');
  assert.equal(itemAt(e, 1, 'entry').local.port, 40000);
  assert.equal(itemAt(e, 1, 'entry').timer, 'keepalive');
  assert.equal(itemAt(e, 1, 'entry').timerTicks, 0x22e); // 5.58 s left, as in the reference notes
  assert.equal(itemAt(e, 1, 'entry').uid, 1000);
  assert.equal(itemAt(e, 1, 'entry').inode, 2222);
  assert.deepEqual(itemAt(e, 2, 'entry').local, { family: 4, addr: '192.0.2.10', port: 54321 });
  assert.deepEqual(itemAt(e, 2, 'entry').remote, { family: 4, addr: '203.0.113.7', port: 443 });
  assert.equal(itemAt(e, 2, 'entry').txQueue, 16);
  assert.equal(itemAt(e, 2, 'entry').timer, 'none');
  assert.equal(itemAt(e, 3, 'entry').state, 'TIME_WAIT');
  assert.equal(itemAt(e, 3, 'entry').timer, 'time-wait');
});

test('big-endian hosts print words in order', () => {
  const line = HEADER + '   0: 7F000001:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0\n';
  assert.equal(itemAt(parseProcNetTcp(line, 4, false), 0, 'entry').local.addr, '127.0.0.1');
});

test('IPv6 lines: loopback, documentation prefix, v4-mapped folded into IPv4', () => {
  const text =
    HEADER +
    '   0: 00000000000000000000000001000000:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0\n' +
    '   1: B80D0120000000000000000001000000:D431 B80D0120000000000000000002000000:01BB 01 00000000:00000000 02:00000100 00000000 0 0 2 1 0\n' +
    '   2: 0000000000000000FFFF00000A0200C0:D432 0000000000000000FFFF0000077100CB:01BB 01 00000000:00000000 00:00000000 00000000 0 0 3 1 0\n';
  const e = parseProcNetTcp(text, 6, true);
  assert.deepEqual(itemAt(e, 0, 'entry').local, { family: 6, addr: '::1', port: 5000 });
  assert.equal(itemAt(e, 1, 'entry').local.addr, '2001:db8::1');
  assert.equal(itemAt(e, 1, 'entry').remote.addr, '2001:db8::2');
  assert.deepEqual(itemAt(e, 2, 'entry').remote, { family: 4, addr: '203.0.113.7', port: 443 });
});

test('RFC 5952 formatting picks the longest zero run', () => {
  assert.equal(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), '2001:db8:0:1::1');
  assert.equal(formatIpv6(new Array(16).fill(0)), '::');
  assert.equal(formatIpv6([0xfe, 0x80, ...new Array(13).fill(0), 1]), 'fe80::1');
});

test('summary: states, per-remote counts, ephemeral ports per destination, keepalive coverage', () => {
  const entries = parseProcNetTcp(TCP4, 4, true);
  const s = summarizeSockets(entries, { low: 40000, high: 40009 }, new Set([40005]));
  assert.deepEqual(s.byState, { LISTEN: 1, ESTABLISHED: 2, TIME_WAIT: 1 });
  assert.equal(s.ephemeral.capacity, 9); // 10 ports, one reserved
  assert.equal(s.ephemeral.busiest.length, 1);
  assert.deepEqual(s.ephemeral.busiest[0], { local: '127.0.0.1', remote: '127.0.0.1:5000', inUse: 2, timeWait: 1, capacity: 9 });
  assert.equal(itemAt(s.topRemotes, 0, 'remote').remote, '127.0.0.1:5000');
  assert.equal(s.keepalive.established, 2);
  assert.equal(s.keepalive.keepaliveArmed, 1);
  assert.equal(s.keepalive.remoteWithoutKeepaliveTotal, 1); // 203.0.113.7:443; loopback ones do not count
});

test('small parsers', () => {
  const limits =
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            64                   4096                 files\n';
  assert.deepEqual(parseNofile(limits), { soft: 64, hard: 4096 });
  assert.deepEqual(parseNofile('Max open files  unlimited  unlimited  files'), { soft: Infinity, hard: Infinity });
  assert.deepEqual(parsePortRange('32768\t60999'), { low: 32768, high: 60999 });
  assert.equal(parsePortRange('garbage'), null);
  assert.deepEqual([...parseReservedPorts('1000-1002,3306')], [1000, 1001, 1002, 3306]);
  assert.equal(parseReservedPorts('').size, 0);
  // tcp_retries2 = 15: (2^10 − 1)·0.2 + 6·120 = 924.6 s; 8: (2^9 − 1)·0.2 = 102.2 s.
  assert.ok(Math.abs(retries2Seconds(15) - 924.6) < 1e-9);
  assert.ok(Math.abs(retries2Seconds(8) - 102.2) < 1e-9);
});

/**
 * kad's one /proc/net/tcp{,6} parser on both byte orders. The kernel prints
 * each address word as the u32 in its memory (%08X), so the same socket reads
 * differently on a little- and a big-endian host; the tables here are written
 * that way from the addresses' network-order bytes.
 */
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { test } from 'node:test';
import { parseProcNetTcp } from '../src/sockets/socket-table.js';
import { procTcpTable, socketPairKey } from '../src/probe/proc-net-tcp.js';
import { parseAddress } from '../src/util/ip-text.js';

type Order = 'LE' | 'BE';
interface Sock {
  local: [string, number];
  remote: [string, number];
}

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

/** Network-order bytes of an address: v4 in 4, v6 in 16. */
function bytes(addr: string): Buffer {
  const a = parseAddress(addr)!;
  const b = Buffer.alloc(a.ipv6 ? 16 : 4);
  for (let k = 0; k < b.length / 4; k++) b.writeUInt32BE(a.words[k]!, k * 4);
  return b;
}

/** As get_tcp4_sock/get_tcp6_sock print it: each word as the host loads it, the port after ntohs. */
function endpointHex(addr: string, port: number, order: Order, mapped = false): string {
  let b = bytes(addr);
  if (mapped) b = Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), b]);
  let hex = '';
  for (let i = 0; i < b.length; i += 4)
    hex += (order === 'LE' ? b.readUInt32LE(i) : b.readUInt32BE(i)).toString(16).toUpperCase().padStart(8, '0');
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

function table(socks: Sock[], order: Order, mapped = false): string {
  const rows = socks.map(
    (s, i) =>
      // eslint-disable-next-line no-restricted-syntax -- spreads an (address, port) pair
      `  ${i}: ${endpointHex(...s.local, order, mapped)} ${endpointHex(...s.remote, order, mapped)} 01 00000000:00000000 02:00000100 00000000  1000        0 ${1000 + i} 1 0000000000000000 20 4 30 10 -1`,
  );
  return [HEADER, ...rows].join('\n');
}

const V4: Sock[] = [
  { local: ['192.0.2.10', 54321], remote: ['203.0.113.7', 443] },
  { local: ['127.0.0.1', 5000], remote: ['10.1.2.3', 65535] },
];
const V6: Sock[] = [
  { local: ['2001:db8::1', 54322], remote: ['2001:db8:0:1::2', 443] },
  { local: ['fe80::1:2:3:4', 22], remote: ['::1', 1] },
];

for (const order of ['LE', 'BE'] as const) {
  test(`${order} host: addresses and ports of tcp and tcp6 rows`, () => {
    for (const [family, socks] of [
      [4, V4],
      [6, V6],
    ] as const) {
      const entries = parseProcNetTcp(table(socks, order), family, order === 'LE');
      assert.deepEqual(
        entries.map((e) => [
          [e.local.addr, e.local.port],
          [e.remote.addr, e.remote.port],
        ]),
        socks.map((s) => [s.local, s.remote]),
      );
      for (const e of entries) assert.equal(e.local.family, family);
    }
    const mapped = parseProcNetTcp(table(V4, order, true), 6, order === 'LE');
    assert.deepEqual(
      mapped.map((e) => [e.local.family, e.local.addr, e.remote.addr]),
      V4.map((s) => [4, s.local[0], s.remote[0]]),
      'v4-mapped rows of tcp6 read as IPv4',
    );
  });

  test(`${order} host: kad probe finds its sockets' rows`, () => {
    for (const [family, socks] of [
      [4, V4],
      [6, V6],
    ] as const) {
      const rows = procTcpTable(table(socks, order), family, order === 'LE');
      for (const s of socks) {
        const key = socketPairKey({ addr: s.local[0], port: s.local[1] }, { addr: s.remote[0], port: s.remote[1] });
        assert.ok(rows.has(key), `${key} in ${[...rows.keys()].join(', ')}`);
      }
    }
  });
}

test("the byte order matters, and by default it is this host's", () => {
  const other: Order = endianness() === 'LE' ? 'BE' : 'LE';
  const here = parseProcNetTcp(table(V4, endianness()), 4);
  assert.deepEqual(
    here.map((e) => e.local.addr),
    V4.map((s) => s.local[0]),
  );
  const misread = parseProcNetTcp(table(V4, other), 4);
  assert.notDeepEqual(
    misread.map((e) => e.local.addr),
    V4.map((s) => s.local[0]),
    'a table from the other byte order does not read the same',
  );
});

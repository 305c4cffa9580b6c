import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_COUNTERS } from '../src/sockets/counter-meanings.js';
import { CounterDeltas, counterDeltas, nonZero, parseCounterPairs, readKernelCounters } from '../src/sockets/kernel-counters.js';
import { createProcSource, defaultRoots } from '../src/sockets/proc-source.js';
import { LISTENER_AT_RISK_FRACTION, listenerHealth, listenersFromEntries } from '../src/sockets/listeners.js';
import { parseProcNetTcp } from '../src/sockets/socket-table.js';
import { runAudit } from '../src/audit/run-audit.js';

/** Every counter kad shows, as issue 24 lists them: the meanings table must hold each exactly once. */
const LISTED = [
  'ListenOverflows',
  'ListenDrops',
  'TCPReqQFullDrop',
  'TCPReqQFullDoCookies',
  'SyncookiesSent',
  'SyncookiesRecv',
  'SyncookiesFailed',
  'TCPAbortOnTimeout',
  'TCPAbortOnData',
  'TCPAbortOnClose',
  'TCPAbortOnLinger',
  'TCPKeepAlive',
  'TCPTimeouts',
  'EstabResets',
  'OutRsts',
  'AttemptFails',
];

/** The layout of a real 6.x /proc/net/netstat and snmp, cut down, with chosen values. */
function netstat(v: { overflows: number; drops: number; cookies: number; keepalive: number }): string {
  return (
    'TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts ListenOverflows ListenDrops TCPTimeouts TCPKeepAlive TCPAbortOnData TCPAbortOnClose TCPAbortOnTimeout TCPAbortOnLinger TCPReqQFullDoCookies TCPReqQFullDrop\n' +
    `TcpExt: ${v.cookies} 0 0 3 ${v.overflows} ${v.drops} 41 ${v.keepalive} 2 1 5 0 ${v.cookies} 0\n` +
    'IpExt: InNoRoutes InTruncatedPkts\n' +
    'IpExt: 0 0\n'
  );
}
function snmp(resets: number): string {
  return (
    'Ip: Forwarding DefaultTTL\nIp: 2 64\n' +
    'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n' +
    `Tcp: 1 200 120000 -1 4915 4613 110 ${resets} 0 56053 47727 124 0 450 0\n` +
    'Udp: InDatagrams NoPorts\nUdp: 5 0\n'
  );
}

function tree(): { root: string; write(net: string, sn: string): void } {
  const root = mkdtempSync(join(tmpdir(), 'kad-counters-'));
  mkdirSync(join(root, 'net'));
  return {
    root,
    write(net, sn) {
      writeFileSync(join(root, 'net/netstat'), net);
      writeFileSync(join(root, 'net/snmp'), sn);
    },
  };
}

test('the meanings table has every listed counter once, each with a meaning and a distinct metric name', () => {
  assert.deepEqual(KERNEL_COUNTERS.map((c) => c.name).sort(), [...LISTED].sort());
  assert.equal(new Set(KERNEL_COUNTERS.map((c) => c.metric)).size, KERNEL_COUNTERS.length);
  for (const c of KERNEL_COUNTERS) {
    assert.ok(c.meaning.length > 20 && !c.meaning.includes('\n'), `${c.name}: one line`);
    assert.match(c.metric, /^[a-z][a-z_]*$/);
    assert.equal(c.file, c.group === 'Tcp' ? 'net/snmp' : 'net/netstat');
  }
});

test('header/value pairs parse by group; a mismatched pair is skipped, not misread', () => {
  const m = parseCounterPairs(snmp(7));
  assert.equal(m.get('Tcp.EstabResets'), 7);
  assert.equal(m.get('Tcp.MaxConn'), -1);
  assert.equal(m.get('Udp.NoPorts'), 0);
  // A value line of another group after a header is not its values.
  const bad = parseCounterPairs('TcpExt: A B\nIpExt: 1 2\nIpExt: 3 4\n');
  assert.equal(bad.get('TcpExt.A'), undefined);
});

test('read from a fake tree: every listed counter the files print, from the right file', () => {
  const t = tree();
  try {
    t.write(netstat({ overflows: 12, drops: 13, cookies: 4, keepalive: 9 }), snmp(1));
    const r = readKernelCounters(createProcSource(defaultRoots({ procRoot: t.root })));
    assert.deepEqual(r.unreadable, []);
    assert.equal(r.values.ListenOverflows, 12);
    assert.equal(r.values.ListenDrops, 13);
    assert.equal(r.values.SyncookiesSent, 4);
    assert.equal(r.values.TCPKeepAlive, 9);
    assert.equal(r.values.EstabResets, 1);
    assert.equal(r.values.OutRsts, 450);
    assert.equal(r.values.AttemptFails, 110);
    assert.equal(Object.keys(r.values).length, LISTED.length);
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

test('deltas between reads; a counter that went down restarts rather than going negative', () => {
  assert.deepEqual(counterDeltas({ A: 5, B: 10 }, { A: 8, B: 3, C: 2 }), { A: 3, B: 3, C: 0 });
  const t = tree();
  try {
    t.write(netstat({ overflows: 12, drops: 13, cookies: 0, keepalive: 9 }), snmp(1));
    const d = new CounterDeltas(createProcSource(defaultRoots({ procRoot: t.root })));
    t.write(netstat({ overflows: 30, drops: 31, cookies: 0, keepalive: 9 }), snmp(4));
    assert.deepEqual(nonZero(d.take()), { ListenOverflows: 18, ListenDrops: 18, EstabResets: 3 });
    assert.deepEqual(nonZero(d.take()), {});
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

test(`a listener is at risk at ${LISTENER_AT_RISK_FRACTION * 100} % of its backlog, and its verdict names the remedy`, () => {
  const local = { family: 4 as const, addr: '198.51.100.10', port: 80 };
  assert.equal(listenerHealth({ local, queue: 7, backlog: 10, synRecv: 0 }, 4096).atRisk, false);
  const h = listenerHealth({ local, queue: 8, backlog: 10, synRecv: 0 }, 4096);
  assert.equal(h.atRisk, true);
  assert.match(
    h.verdict ?? '',
    /198\.51\.100\.10:80.*raise net\.core\.somaxconn and the application's listen\(\) backlog, or accept faster/,
  );
  const capped = listenerHealth({ local, queue: 0, backlog: 128, synRecv: 0 }, 128);
  assert.equal(capped.atRisk, false);
  assert.equal(capped.capped, true);
  // An idle listen(0) socket waits on nobody; without a backlog (/proc) nothing is judged.
  assert.equal(listenerHealth({ local, queue: 0, backlog: 0, synRecv: 0 }, 4096).atRisk, false);
  assert.equal(listenerHealth({ local, queue: 5, backlog: null, synRecv: 0 }, 4096).atRisk, false);
});

test('SYN_RECV rows count against the listener on their port (wildcard listeners too)', () => {
  const text =
    'header\n' +
    '  0: 00000000:0050 00000000:0000 0A 00000000:00000003 00:00000000 00000000 0 0 1 1\n' +
    '  1: 0A6433C6:0050 0A7100CB:C350 03 00000000:00000000 01:00000064 00000000 0 0 0 1\n';
  const [l] = listenersFromEntries(parseProcNetTcp(text, 4, true));
  assert.deepEqual({ queue: l?.queue, backlog: l?.backlog, synRecv: l?.synRecv }, { queue: 3, backlog: null, synRecv: 1 });
});

test('kad audit on a fake tree: overflow counters give a finding with the exact fix', () => {
  const t = tree();
  try {
    t.write(netstat({ overflows: 12, drops: 13, cookies: 4, keepalive: 9 }), snmp(1));
    mkdirSync(join(t.root, 'sys/net/core'), { recursive: true });
    writeFileSync(join(t.root, 'sys/net/core/somaxconn'), '128\n');
    const local = { family: 4 as const, addr: '198.51.100.10', port: 80 };
    const r = runAudit({
      procRoot: t.root,
      listeners: { listeners: [{ local, queue: 2, backlog: 1, synRecv: 0 }], source: 'sock_diag', fallbackReason: null },
    });
    const byId = new Map(r.findings.map((f) => [f.id, f]));
    const over = byId.get('counters.listen-overflows');
    assert.ok(over, 'ListenOverflows finding');
    assert.match(over.observed, /ListenOverflows = 12/);
    assert.deepEqual(over.fix?.commands, ['sysctl -w net.core.somaxconn=4096']);
    assert.match(over.fix?.note ?? '', /listen\(fd, 4096\)/);
    assert.ok(byId.get('counters.syn-queue-overflows'), 'SyncookiesSent finding');
    const full = byId.get('listen.queue-full');
    assert.equal(full?.level, 'crit');
    assert.match(full?.breaks ?? '', /listen queue of 198\.51\.100\.10:80 is full.*raise net\.core\.somaxconn/);
  } finally {
    rmSync(t.root, { recursive: true, force: true });
  }
});

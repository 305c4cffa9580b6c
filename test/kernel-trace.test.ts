/**
 * Kernel evidence without a kernel: trace_pipe lines captured on this
 * project's kernel (test/fixtures/trace-pipe-loopback.txt: a refused connect
 * on IPv4 and IPv6, and an abort with SO_LINGER 0) parsed, joined to a socket
 * table, and joined to a real capture's RSTs as reset evidence.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCapture } from '../src/analyze/analyze-capture.js';
import { diagnoseCapture } from '../src/diagnose/diagnose-capture.js';
import { KERNEL_MATCH_S, KernelJoin } from '../src/diagnose/kernel-evidence.js';
import { KERNEL_RING, KernelLog, type LoggedKernelEvent } from '../src/kernel/kernel-log.js';
import { kernelNote } from '../src/kernel/kernel-verdict.js';
import { parseTraceLine } from '../src/kernel/trace-line.js';
import type { KernelEvent } from '../src/model/kernel-event.js';
import type { SocketInfo } from '../src/sockets/socket-types.js';
import { REPO } from './helpers/run-kad.js';

const LINES = readFileSync(join(REPO, 'test/fixtures/trace-pipe-loopback.txt'), 'utf8').split('\n').filter(Boolean);

test('parse: every fixture line is one of the five events, with the socket-side view', () => {
  const events = LINES.map(parseTraceLine);
  assert.equal(events.filter((e) => e === null).length, 0);
  const kinds = new Set(events.map((e) => e!.kind));
  assert.deepEqual([...kinds].sort(), ['error', 'receive-reset', 'send-reset', 'state']);
});

test('parse: a socketless RST sent (6.x src/dest form), IPv4 and IPv6', () => {
  const v4 = parseTraceLine(
    '            node-22188   [001] .Ns1. 30700.552171: tcp_send_reset: skbaddr=00000000f60753f6 skaddr=0000000000000000 src=127.0.0.1:1 dest=127.0.0.1:34842 state=UNKNOWN reason=NO_SOCKET',
  );
  assert.deepEqual(v4, {
    kind: 'send-reset',
    monoS: 30700.552171,
    family: 4,
    local: { addr: '127.0.0.1', port: 1 },
    remote: { addr: '127.0.0.1', port: 34842 },
    cookie: null,
    state: null,
    oldState: null,
    reason: 'NO_SOCKET',
    errno: null,
  });
  const v6 = parseTraceLine(
    '            node-22188   [001] .Ns1. 30700.552291: tcp_send_reset: skbaddr=00000000f60753f6 skaddr=0000000000000000 src=[2001:db8::5]:1 dest=[2001:db8::5]:40446 state=UNKNOWN reason=NO_SOCKET',
  );
  assert.equal(v6?.family, 6);
  assert.deepEqual(v6?.remote, { addr: '2001:db8::5', port: 40446 });
});

test('parse: received RST with its cookie; an AF_INET6 socket reads the v6 fields, not the 127.0.0.x placeholders', () => {
  const e = parseTraceLine(
    'ksoftirqd/1-22 [001] ..s1. 8904.446525: tcp_receive_reset: family=AF_INET6 sport=5432 dport=60780 saddr=127.0.0.6 daddr=127.0.0.6 saddrv6=2001:db8:2::10 daddrv6=2001:db8:1::10 sock_cookie=1f3627',
  );
  assert.equal(e?.kind, 'receive-reset');
  assert.deepEqual(e?.local, { addr: '2001:db8:2::10', port: 5432 });
  assert.deepEqual(e?.remote, { addr: '2001:db8:1::10', port: 60780 });
  assert.equal(e?.cookie, '1f3627');
  // A v4-mapped socket is spelled as IPv4, as the socket table and captures spell it.
  const mapped = parseTraceLine(
    'x-1 [000] ..... 1.000001: tcp_receive_reset: family=AF_INET6 sport=1 dport=2 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=::ffff:192.0.2.1 daddrv6=::ffff:192.0.2.2 sock_cookie=5',
  );
  assert.deepEqual(mapped?.local, { addr: '192.0.2.1', port: 1 });
});

test('parse: errno, state change, retransmit; UDP sockets, other events and LOST notices are not TCP events', () => {
  const err = parseTraceLine(LINES.find((l) => l.includes('error=104'))!);
  assert.equal(err?.errno, 104);
  const st = parseTraceLine(LINES.find((l) => l.includes('newstate=TCP_LISTEN'))!);
  assert.deepEqual([st?.oldState, st?.state], ['CLOSE', 'LISTEN']);
  const rt = parseTraceLine(
    'swapper/0-0 [000] ..s.. 5.5: tcp_retransmit_skb: skbaddr=0 skaddr=0 family=AF_INET sport=5432 dport=40000 saddr=198.51.100.10 daddr=192.0.2.10 saddrv6=::ffff:198.51.100.10 daddrv6=::ffff:192.0.2.10 state=TCP_ESTABLISHED err=0',
  );
  assert.deepEqual([rt?.kind, rt?.state, rt?.local.addr], ['retransmit', 'ESTABLISHED', '198.51.100.10']);
  assert.equal(
    parseTraceLine(
      'x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_INET protocol=IPPROTO_SCTP sport=1 dport=2 saddr=1.2.3.4 daddr=1.2.3.5 saddrv6=::1 daddrv6=::1 oldstate=TCP_CLOSE newstate=TCP_LISTEN',
    ),
    null,
  );
  assert.equal(parseTraceLine('x-1 [000] ..... 1.0: sched_switch: prev_comm=a'), null);
  assert.equal(parseTraceLine('CPU:1 [LOST 12 EVENTS]'), null);
  assert.equal(parseTraceLine('garbage'), null);
});

function socket(over: Partial<SocketInfo>): SocketInfo {
  return {
    source: 'sock_diag',
    state: 'ESTABLISHED',
    local: { family: 4, addr: '127.0.0.1', port: 5555 },
    peer: { family: 4, addr: '127.0.0.1', port: 43034 },
    timer: { name: 'keepalive', expiresMs: 1000, count: 0 },
    keepaliveTimer: { state: 'on', nextProbeS: 1 },
    probesOut: 0,
    lastSendMs: 4000,
    lastRecvMs: 4000,
    lastAckMs: 4000,
    idleMs: 4000,
    idleFrom: 'socket',
    cookie: null,
    inode: 1,
    uid: 0,
    pid: 4242,
    process: 'postgres',
    recvQ: 0,
    sendQ: 0,
    conn: null,
    side: null,
    readAtMs: 1_000_000,
    atRisk: false,
    riskReason: null,
    ...over,
  };
}

test('join: by cookie, the cookie carried to the error report, another namespace labelled and left unjoined', () => {
  const log = new KernelLog(1000, () => new Set(['127.0.0.1']));
  const victim = socket({
    local: { family: 4, addr: '127.0.0.1', port: 43034 },
    peer: { family: 4, addr: '127.0.0.1', port: 5555 },
    cookie: '1f3627',
  });
  log.sockets([victim, socket({})]);
  const added = log.add(LINES.map(parseTraceLine).filter((e): e is KernelEvent => e !== null));
  const rr = added.find((e) => e.kind === 'receive-reset' && e.cookie === '1f3627')!;
  assert.equal(rr.socket, victim);
  assert.equal(rr.wallS, rr.monoS + 1000);
  const err = added.find((e) => e.kind === 'error' && e.errno === 104 && e.local.port === 43034)!;
  assert.equal(err.cookie, '1f3627', 'the error report takes the cookie of the RST that caused it');
  assert.equal(err.socket?.process, 'postgres');
  // A socket gone from the next read is still found once (its last events come after it leaves the table).
  log.sockets([]);
  assert.equal(log.add([{ ...parseTraceLine(LINES.find((l) => l.includes('error=104'))!)! }])[0]!.socket, victim);
  log.sockets([]);
  assert.equal(log.add([{ ...parseTraceLine(LINES.find((l) => l.includes('error=104'))!)! }])[0]!.socket, null);

  const other = new KernelLog(0, () => new Set(['198.51.100.10']));
  other.sockets([victim]);
  const foreign = other.add([parseTraceLine(LINES.find((l) => l.includes('sock_cookie=1f3627'))!)!])[0]!;
  assert.equal(foreign.netns, 'other');
  assert.equal(foreign.socket, null);
});

test('join: the ring is bounded', () => {
  const log = new KernelLog(0, () => new Set());
  const ev = parseTraceLine(LINES[0]!)!;
  for (let i = 0; i < KERNEL_RING + 10; i++) log.add([ev]);
  assert.equal(log.recent.length, KERNEL_RING);
  assert.equal(log.recent[0]!.seq, 11);
});

/** A logged event at `wallS` on the capture's refused connection (127.0.0.1:5433 ← :57224, RST at 1795431691.088651). */
function logged(kind: KernelEvent['kind'], wallS: number, over: Partial<LoggedKernelEvent> = {}): LoggedKernelEvent {
  const sent = kind === 'send-reset';
  return {
    kind,
    monoS: 0,
    family: 4,
    local: sent ? { addr: '127.0.0.1', port: 5433 } : { addr: '127.0.0.1', port: 57224 },
    remote: sent ? { addr: '127.0.0.1', port: 57224 } : { addr: '127.0.0.1', port: 5433 },
    cookie: null,
    state: null,
    oldState: null,
    reason: sent ? 'NO_SOCKET' : null,
    errno: kind === 'error' ? 111 : null,
    seq: 1,
    wallS,
    netns: 'this',
    socket: null,
    ...over,
  };
}

const RST_AT = 1795431691.088651;

test('reset attribution: a matching tcp_send_reset makes the RST local-stack, decisively; a late one or another namespace does not', async () => {
  const analysis = await analyzeCapture(join(REPO, 'test/fixtures/loopback-keepalive-abort-refused.pcap'));
  const verdict = (events: LoggedKernelEvent[], startedS = RST_AT + 100) => {
    const cross = new KernelJoin(analysis, events, { startedS, locals: new Set(['127.0.0.1']) }).cross();
    return diagnoseCapture(analysis, cross).diagnoses.find((d) => d.conn === 3)!.resets[0]!;
  };
  assert.equal(verdict([]).attribution, 'unknown', 'packets alone cannot tell (the fixture says so)');
  const sent = verdict([logged('send-reset', RST_AT - 0.0001)]);
  assert.equal(sent.attribution, 'local-stack');
  const k = sent.evidence.find((e) => e.signal === 'kernel')!;
  assert.deepEqual([k.pointsTo, k.strength], ['local-stack', 'decisive']);
  assert.match(k.detail, /NO_SOCKET/);
  assert.equal(verdict([logged('send-reset', RST_AT - KERNEL_MATCH_S - 0.05)]).attribution, 'unknown', 'outside the tolerance');
  // A listener's RST reports its own unconnected remote end (0.0.0.0:0): it matches by the sending end.
  const listener = { remote: { addr: '0.0.0.0', port: 0 }, state: 'LISTEN', reason: 'TCP_FLAGS' };
  assert.equal(verdict([logged('send-reset', RST_AT, listener)]).attribution, 'local-stack');
  assert.equal(verdict([logged('send-reset', RST_AT, { ...listener, local: { addr: '127.0.0.1', port: 5432 } })]).attribution, 'unknown');
  assert.equal(verdict([logged('send-reset', RST_AT, { netns: 'other' })]).attribution, 'unknown', 'another namespace');
  // Tracing was on and this host's address sent a RST its stack never built: forged on this host or the path.
  const forged = verdict([], RST_AT - 10);
  assert.equal(forged.attribution, 'middlebox');
  assert.ok(forged.evidence.some((e) => e.signal === 'kernel' && e.pointsTo === 'middlebox' && e.strength === 'strong'));
  // The receiving end's report names what it saw without taking a side.
  const got = verdict([logged('send-reset', RST_AT), logged('receive-reset', RST_AT + 0.00001), logged('error', RST_AT + 0.00002)]);
  assert.ok(got.evidence.some((e) => e.signal === 'kernel' && e.pointsTo === 'unknown' && /received this RST/.test(e.detail)));

  const join3 = new KernelJoin(analysis, [], { startedS: 0, locals: new Set() });
  assert.deepEqual(join3.match(logged('receive-reset', RST_AT)), { conn: 3, rstFrame: 30 });
  assert.deepEqual(
    join3.match(logged('receive-reset', RST_AT + 5)),
    { conn: 3, rstFrame: null },
    'the capture has no RST then: it missed it',
  );
});

test('without packets (--no-capture): a received RST says what it cannot know and what would decide it', () => {
  const ev = logged('receive-reset', 1000 + 5, { socket: socket({ idleMs: 295_000, readAtMs: 1_000_000, probesOut: 1 }) });
  const note = kernelNote(ev, null)!;
  assert.equal(note.verdict, 'reset received after 300 s idle, right after a keepalive probe');
  assert.match(note.unknown!, /peer, or a middlebox/);
  assert.match(note.decide!, /capture here/);
  const missed = kernelNote(ev, { conn: 3, rstFrame: null })!;
  assert.match(missed.verdict, /the capture missed this RST/);
  const gaveUp = kernelNote(logged('error', 1005, { errno: 110, socket: socket({ probesOut: 9 }) }), null)!;
  assert.match(gaveUp.verdict, /^keepalive gave up \(9\+ probes .*silent drop confirmed by the kernel; the application got ETIMEDOUT$/);
});

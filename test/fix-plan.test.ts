import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixRows, selectSockets, withKeepaliveOn } from '../src/fix/fix-plan.js';
import type { HeldSocket } from '../src/fix/process-sockets.js';
import { parseSockoptOutput, socketOptions } from '../src/sockets/sockopt-helper.js';
import { UserError } from '../src/model/errors.js';
import type { SocketEntry, TcpState } from '../src/sockets/socket-table.js';

function held(fd: number, state: TcpState, localPort: number, remote: string, remotePort: number): HeldSocket {
  const entry: SocketEntry = {
    family: 4,
    local: { family: 4, addr: '198.51.100.10', port: localPort },
    remote: { family: 4, addr: remote, port: remotePort },
    state,
    txQueue: 0,
    rxQueue: 0,
    timer: 'none',
    timerTicks: 0,
    retransmits: 0,
    uid: 0,
    probesOut: 0,
    inode: 1000 + fd,
  };
  return { fd, entry };
}

const SOCKETS = [
  held(3, 'LISTEN', 5432, '0.0.0.0', 0),
  held(4, 'ESTABLISHED', 5432, '192.0.2.7', 40000),
  held(5, 'ESTABLISHED', 41000, '203.0.113.9', 6379),
  held(6, 'CLOSE_WAIT', 5432, '192.0.2.8', 40001),
];

test('selection: never a listener; state, port (either end) and path narrow it', () => {
  const fds = (sel: Parameters<typeof selectSockets>[1]) => selectSockets(SOCKETS, sel).map((s) => s.fd);
  assert.deepEqual(fds({ state: 'ESTABLISHED' }), [4, 5]);
  assert.deepEqual(fds({ state: 'all' }), [4, 5, 6]);
  assert.deepEqual(fds({ state: 'all', port: 5432 }), [4, 6]);
  assert.deepEqual(fds({ state: 'all', port: 6379 }), [5]);
  assert.deepEqual(fds({ state: 'all', path: '203.0.113.9:6379' }), [5]);
  assert.deepEqual(fds({ state: 'LISTEN' as TcpState }), []);
});

test('a keepalive timer turns keepalive on; a user timeout alone does not', () => {
  assert.deepEqual(withKeepaliveOn({ idleS: 280 }), { idleS: 280, keepalive: true });
  assert.deepEqual(withKeepaliveOn({ userTimeoutMs: 60_000 }), { userTimeoutMs: 60_000 });
});

const OFF = '0\t7200\t75\t9\t0';
test("kad-sockopt's lines: before/ok pairs, skips, errors; rows say what changed and what the kernel refused", () => {
  const out = [
    `4\tbefore\t${OFF}`,
    '4\tok\t1\t280\t30\t3\t0',
    `5\tbefore\t${OFF}`,
    `5\tok\t${OFF}`,
    '6\tskip\tgone',
    '7\terror\tEINVAL\tInvalid argument',
    '',
  ].join('\n');
  const results = parseSockoptOutput(out);
  assert.equal(results.length, 4);
  const sockets = [
    held(4, 'ESTABLISHED', 1, 'a', 1),
    held(5, 'ESTABLISHED', 2, 'b', 2),
    held(6, 'ESTABLISHED', 3, 'c', 3),
    held(7, 'ESTABLISHED', 4, 'd', 4),
  ];
  const change = withKeepaliveOn({ idleS: 280, intervalS: 30, count: 3 });
  const rows = fixRows(sockets, results, change, true);
  assert.deepEqual(
    rows.map((r) => r.status),
    ['changed', 'failed', 'skipped', 'failed'],
  );
  assert.match(rows[1]!.note!, /other values than those set/);
  assert.equal(rows[3]!.note, 'EINVAL: Invalid argument');
  // Dry run: the same reads, nothing claimed changed.
  const dry = fixRows(sockets.slice(0, 1), parseSockoptOutput(`4\tok\t${OFF}`), change, false);
  assert.equal(dry[0]!.status, 'would-change');
  assert.deepEqual(dry[0]!.after, { keepalive: true, idleS: 280, intervalS: 30, count: 3, userTimeoutMs: 0 });
});

test("kad-sockopt's exit statuses become one line each, with the fix", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kad-sockopt-'));
  const prev = process.env.KAD_SOCKOPT;
  try {
    const fake = join(dir, 'kad-sockopt');
    const expect = (status: number, said: string, message: RegExp, exit: number) => {
      writeFileSync(fake, `#!/bin/sh\necho 'kad-sockopt: ${said}' >&2\nexit ${status}\n`);
      chmodSync(fake, 0o755);
      process.env.KAD_SOCKOPT = fake;
      assert.throws(
        () => socketOptions(4242, [4]),
        (e: unknown) => e instanceof UserError && message.test(e.message) && e.exitCode === exit,
      );
    };
    expect(3, 'pidfd_open 4242: No such process', /process 4242 does not exist/, 2);
    expect(4, 'pidfd_open 4242: Function not implemented', /no pidfd_getfd \(Linux 5\.6 or later/, 69);
    expect(5, 'pidfd_getfd 4242/4: Operation not permitted', /run kad fix as root, or with CAP_SYS_PTRACE/, 77);
    process.env.KAD_SOCKOPT = join(dir, 'missing');
    assert.throws(() => socketOptions(4242, [4]), /is not built: run make -C native\/sockopt/);
  } finally {
    if (prev === undefined) delete process.env.KAD_SOCKOPT;
    else process.env.KAD_SOCKOPT = prev;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('selection of one socket by both its endpoints (the TUI: both ends of a loopback connection share port and peer)', () => {
  const ends = [held(4, 'ESTABLISHED', 7611, '198.51.100.10', 40000), held(5, 'ESTABLISHED', 40000, '198.51.100.10', 7611)];
  ends[1]!.entry.local.addr = '198.51.100.10';
  ends[0]!.entry.local.addr = '198.51.100.10';
  const one = selectSockets(ends, { state: 'all', socket: { local: '198.51.100.10:40000', remote: '198.51.100.10:7611' } });
  assert.deepEqual(
    one.map((s) => s.fd),
    [5],
  );
  assert.equal(selectSockets(ends, { state: 'all', port: 7611 }).length, 2, 'a port alone takes both ends');
});

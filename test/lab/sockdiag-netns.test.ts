/**
 * The sock_diag reader (native/sockdiag/kad-sockdiag + its decoder) against
 * ss on real sockets: a few thousand loopback connections held in a
 * namespace of our own (bench/scale/socket-holders.ts; every other client
 * socket has SO_KEEPALIVE), read both ways inside it. Same sockets, same
 * 4-tuples, the keepalive timer on the same ones, the same inode and cookie.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { holdSockets } from '../../bench/scale/socket-holders.js';
import { sockdiagPath } from '../../src/sockets/read-sockets.js';
import { parseSsRecord } from '../../src/sockets/ss-parse.js';
import type { SocketInfo } from '../../src/sockets/socket-types.js';
import { endpointText } from '../../src/util/ip-text.js';
import { labSkip } from '../helpers/lab-gate.js';

const CONNECTIONS = 3000;
const READ_SOCKETS = fileURLToPath(new URL('../../src/sockets/read-sockets.js', import.meta.url));
const READER_JS = `
(async () => {
  const { readSockets } = await import(${JSON.stringify(READ_SOCKETS)});
  const r = await readSockets({ from: 'sock_diag' });
  process.stdout.write(JSON.stringify({ source: r.source, fallbackReason: r.fallbackReason, sockets: r.sockets }));
})();
`;

function notBuilt(): string | false {
  if (existsSync(sockdiagPath())) return false;
  const reason = `needs ${sockdiagPath()} (scripts/install.sh builds it)`;
  process.stderr.write(`kad lab tests SKIPPED in test/lab/sockdiag-netns.test.ts: ${reason}\n`);
  return reason;
}

const skip = labSkip(import.meta.url, { root: 'a network namespace', tools: ['ip', 'ss'] }) || notBuilt();

/** What both readers must agree on, per socket. */
function facts(s: SocketInfo): string {
  return `${endpointText(s.local)} ${endpointText(s.peer)} ${s.state} ka=${s.keepaliveTimer.state} ino=${s.inode} sk=${s.cookie}`;
}

test(`sock_diag reads the same ${2 * CONNECTIONS} sockets as ss, keepalive timers included`, { skip, timeout: 120_000 }, async () => {
  const h = await holdSockets(CONNECTIONS, `kadsockdiag-${process.pid}`);
  try {
    const r = spawnSync('ip', h.execArgs([process.execPath, '-e', READER_JS]), { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const read = JSON.parse(r.stdout) as { source: string; fallbackReason: string | null; sockets: SocketInfo[] };
    // -e for the inode and cookie; state established as the brief's oracle, the holders' sockets are all ESTABLISHED.
    const ss = spawnSync('ip', h.execArgs(['ss', '-tnoeH', 'state', 'established']), { encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(ss.status, 0, ss.stderr);
    const oracle = ss.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      // With a state filter ss leaves the State column out; put it back for the one parser.
      .map((l) => parseSsRecord(`ESTAB ${l.trim()}`));

    assert.equal(read.source, 'sock_diag', `fell back: ${read.fallbackReason}`);
    assert.equal(read.fallbackReason, null);
    assert.ok(
      oracle.every((s) => s !== null),
      'every ss line parses',
    );
    const established = read.sockets.filter((s) => s.state === 'ESTABLISHED');
    assert.equal(established.length, 2 * CONNECTIONS, 'both ends of every held connection');
    assert.equal(oracle.length, 2 * CONNECTIONS);

    const mine = established.map(facts).sort();
    const theirs = (oracle as SocketInfo[]).map(facts).sort();
    assert.deepEqual(mine, theirs);

    const withKa = established.filter((s) => s.keepaliveTimer.state === 'on');
    assert.equal(withKa.length, CONNECTIONS / 2, 'every other client socket has SO_KEEPALIVE');
    for (const s of withKa) {
      assert.equal(s.timer.name, 'keepalive');
      // setKeepAlive(true, 7 200 000): the first probe is up to two hours away.
      assert.ok(s.keepaliveTimer.state === 'on' && s.keepaliveTimer.nextProbeS > 7000 && s.keepaliveTimer.nextProbeS <= 7200);
    }
    for (const s of established) {
      assert.equal(s.idleFrom, 'socket', 'tcp_info came with every socket');
      assert.ok(s.idleMs !== null && s.idleMs >= 0);
      assert.match(s.cookie ?? '', /^[0-9a-f]+$/);
    }
  } finally {
    h.close();
  }
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!left.includes(`kadsockdiag-${process.pid}`), 'the namespace is gone');
});

/**
 * The proof that loss is said and weakens an absence: two namespaces
 * joined by a veth, `kad watch --capture-with kad-capture` on the server's
 * end. A first connection falls silent (the client's nftables drops the
 * server's reply) while the capture is complete: its silent drop carries no
 * doubt. Then kad is stopped by its PID while a flood crosses the link, so
 * the kernel ring overflows (a forced overload); the next silent drop says
 * the capture may have missed the answer, and the stats report the drops,
 * within a few packets of what the link carried and kad did not count.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { kadCapturePath } from '../../src/live/capture-tools.js';
import { labSkip } from '../helpers/lab-gate.js';
import { KAD } from '../helpers/run-kad.js';

const CLIENT = '192.0.2.1';
const SERVER = '198.51.100.1';
const IF_A = 'kadov-a';
const IF_B = 'kadov-b';

/** Echoes on 7501 (a 'please' after 0.3 s, time for the client to start dropping), discards on 7502. */
const SERVER_PY = `
import socket, threading, time
def echo(c):
    try:
        while True:
            d = c.recv(100)
            if not d: return
            if d.startswith(b'please'): time.sleep(0.3)
            c.sendall(b'reply')
    except OSError: pass
def sink(c):
    try:
        while c.recv(65536): pass
    except OSError: pass
def listen(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('${SERVER}', port)); s.listen(16); return s
def serve(s, fn):
    while True:
        c, _ = s.accept(); threading.Thread(target=fn, args=(c,), daemon=True).start()
for s, fn in ((listen(7501), echo), (listen(7502), sink)):
    threading.Thread(target=serve, args=(s, fn), daemon=True).start()
print('listening', flush=True)
threading.Event().wait()
`;

/**
 * Two connections; "drop N" on stdin: ask connection N for a reply and drop
 * the reply's data segments on arrival (its bare ACKs pass, so the client's
 * request is not retransmitted and the server's data alone goes unanswered).
 */
const CLIENT_PY = `
import socket, subprocess, sys
conns = {}
for n in (1, 2):
    c = socket.create_connection(('${SERVER}', 7501)); c.sendall(b'hi'); c.recv(100); conns[n] = c
print('ready', flush=True)
for line in sys.stdin:
    c = conns[int(line.split()[1])]
    c.sendall(b'please')
    subprocess.run(['nft', 'add', 'rule', 'inet', 'kadov', 'in', 'ip', 'saddr', '${SERVER}', 'tcp', 'sport', '7501',
                    'tcp', 'dport', str(c.getsockname()[1]), 'tcp', 'flags', '&', 'psh', '==', 'psh', 'drop'], check=True)
    print('dropped', flush=True)
`;

/** Small segments flat out for a second. */
const FLOOD_PY = `
import socket, time
s = socket.create_connection(('${SERVER}', 7502)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
end = time.monotonic() + 1.0
while time.monotonic() < end:
    for _ in range(64): s.send(b'f' * 64)
s.close()
`;

const skip =
  labSkip(import.meta.url, { root: 'network namespaces and a live capture', tools: ['ip', 'nft', 'python3'] }) ||
  (existsSync(kadCapturePath()) ? false : 'needs native/capture/kad-capture (make -C native/capture)');

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
}

/** Lines of a child's stdout, awaited one predicate at a time. */
class Lines {
  private readonly seen: string[] = [];
  private waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  constructor(child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      this.seen.push(l);
      this.waiters = this.waiters.filter((w) => !(w.test(l) && (w.resolve(l), true)));
    });
  }
  all(): string[] {
    return this.seen;
  }
  next(test: (l: string) => boolean, ms: number, what: string): Promise<string> {
    const hit = this.seen.find(test);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} within ${ms} ms; last lines: ${this.seen.slice(-4).join(' / ').slice(0, 1500)}`)),
        ms,
      );
      this.waiters.push({
        test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function wirePackets(ns: string): number {
  const read = (c: string): number =>
    Number(spawnSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${IF_B}/statistics/${c}`], { encoding: 'utf8' }).stdout);
  return read('rx_packets') + read('tx_packets');
}

test(
  'a forced overload: kad-capture reports the drops, and the silent drop after it is marked as possibly missed',
  { skip, timeout: 90_000 },
  async (t) => {
    const nsA = `kadov-a-${process.pid}`;
    const nsB = `kadov-b-${process.pid}`;
    const children: ChildProcessWithoutNullStreams[] = [];
    t.after(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
      for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    });
    const start = (ns: string, bin: string, args: string[]): ChildProcessWithoutNullStreams => {
      const c = spawn('ip', ['netns', 'exec', ns, bin, ...args], { stdio: 'pipe' });
      children.push(c);
      return c;
    };
    for (const ns of [nsA, nsB]) {
      ip(['netns', 'add', ns]);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'], { stdio: 'ignore' });
    }
    ip(['-n', nsA, 'link', 'add', IF_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', nsB]);
    ip(['-n', nsA, 'addr', 'add', CLIENT, 'peer', SERVER, 'dev', IF_A]);
    ip(['-n', nsB, 'addr', 'add', SERVER, 'peer', CLIENT, 'dev', IF_B]);
    ip(['-n', nsA, 'link', 'set', IF_A, 'up']);
    ip(['-n', nsB, 'link', 'set', IF_B, 'up']);
    const nft = spawnSync('ip', [
      'netns',
      'exec',
      nsA,
      'nft',
      'add table inet kadov; add chain inet kadov in { type filter hook input priority 0; }',
    ]);
    assert.equal(nft.status, 0, String(nft.stderr));

    const server = start(nsB, 'python3', ['-c', SERVER_PY]);
    await new Lines(server).next((l) => l === 'listening', 10_000, 'server');
    // The smallest kernel buffer kad takes: the ring overflows as soon as kad stops reading.
    const kad = start(nsB, process.execPath, [
      KAD,
      'watch',
      '-i',
      IF_B,
      '--capture-with',
      'kad-capture',
      '--buffer-size',
      '65536',
      '--stats-interval',
      '1000',
    ]);
    let kadErr = '';
    kad.stderr.setEncoding('utf8').on('data', (x: string) => (kadErr += x));
    const out = new Lines(kad);
    await out.next((l) => l.startsWith('{"type":"stats"'), 15_000, `first stats line (${kadErr})`);
    const wire0 = wirePackets(nsB);

    const client = start(nsA, 'python3', ['-c', CLIENT_PY]);
    const said = new Lines(client);
    await said.next((l) => l === 'ready', 10_000, 'client');
    type Drop = { type: string; conn: number; doubt: string | null; sender: string };
    const silentDrops = (): Drop[] =>
      out
        .all()
        .filter((l) => l.startsWith('{"type":"silent-drop"'))
        .map((l) => JSON.parse(l) as Drop);

    // 1. A silence in a complete capture.
    client.stdin.write('drop 1\n');
    await out.next((l) => l.startsWith('{"type":"silent-drop"'), 15_000, 'silent drop of the first connection');
    const first = silentDrops()[0]!;
    assert.equal(first.sender, 'server');
    assert.equal(first.doubt, null, 'nothing was lost yet: the silence stands');

    // 2. The overload: kad stopped (by its PID) while a flood crosses the link.
    process.kill(kad.pid!, 'SIGSTOP');
    const flood = spawnSync('ip', ['netns', 'exec', nsA, 'python3', '-c', FLOOD_PY], { encoding: 'utf8' });
    assert.equal(flood.status, 0, flood.stderr);
    process.kill(kad.pid!, 'SIGCONT');
    // kad-capture reports its counters every second.
    await out.next(
      (l) => l.startsWith('{"type":"stats"') && ((JSON.parse(l) as { sourceDrops: number | null }).sourceDrops ?? 0) > 0,
      15_000,
      'stats line with drops',
    );

    // 3. The same silence now: the answer may be among the lost packets.
    client.stdin.write('drop 2\n');
    await out.next((l) => l.startsWith('{"type":"silent-drop"') && !l.includes(`"conn":${first.conn},`), 15_000, 'second silent drop');
    const second = silentDrops().find((d) => d.conn !== first.conn)!;
    assert.equal(second.sender, 'server');
    assert.match(second.doubt ?? '', /the capture source lost \d+ packets so far: an answer may be among them/);

    await sleep(500);
    const wire = wirePackets(nsB) - wire0;
    process.kill(kad.pid!, 'SIGINT');
    const final = await out.next((l) => l.startsWith('{"type":"stats"') && l.includes('"final":true'), 15_000, 'final stats');
    const stats = JSON.parse(final) as { packets: number; sourceDrops: number };
    // What the link carried and kad did not count, against what kad said it lost (the handshake before wire0 aside).
    const lost = wire - stats.packets;
    assert.ok(stats.sourceDrops > 0 && lost > 0, `drops ${stats.sourceDrops}, lost ${lost}`);
    assert.ok(Math.abs(stats.sourceDrops - lost) <= 0.05 * wire + 20, `reported ${stats.sourceDrops}, lost ${lost} of ${wire}`);
  },
);

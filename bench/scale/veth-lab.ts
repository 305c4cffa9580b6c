/**
 * Two network namespaces of our own joined by a veth, a receiver in one and
 * a sender of small TCP segments (TCP_NODELAY, autocorking off) in the
 * other, paced to a packet rate or flat out. Packets on the wire are counted
 * from the sending end's interface counters: its tx (data) plus its rx (the
 * receiver's ACKs), every one of which crosses the captured interface.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addNamespace, deleteNamespace, killChild, track } from './children.js';

const CLIENT = '192.0.2.1';
const SERVER = '198.51.100.1';
const PORT = 7400;
export const IF_A = 'kscale-a';
export const IF_B = 'kscale-b';

/** Reads and discards: the receiving application. */
const RECEIVER = `
const net = require('node:net');
net.createServer((s) => { s.setNoDelay(true); s.resume(); s.on('error', () => {}); })
  .listen(${PORT}, '${SERVER}', () => process.stdout.write('listening\\n'));
`;

/**
 * N streams writing 64-byte segments round-robin for S seconds, then the
 * write count. Paced (rate > 0): each turn it reads its interface's counters
 * and writes about half of what the wire is short of (each segment draws
 * about half an ACK back). Python, not Node: a blocking send() per segment
 * is about three times the packet rate of Node's write() on this 2-core
 * machine, where the sender, the receiver and kad share the CPUs.
 */
const SENDER = `
import socket, sys, time
n, secs, rate, dev = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
stats = '/sys/class/net/%s/statistics/' % dev
def wire():
    with open(stats + 'tx_packets') as a, open(stats + 'rx_packets') as b:
        return int(a.read()) + int(b.read())
socks = []
for i in range(n):
    s = socket.create_connection(('${SERVER}', ${PORT}))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    socks.append(s)
buf = b'k' * 64
w0 = wire()
t0 = time.monotonic()
end = t0 + secs
writes = 0
while True:
    now = time.monotonic()
    if now >= end:
        break
    if rate > 0:
        short = rate * (now - t0) - (wire() - w0)
        if short < 2:
            time.sleep(0.0005)
            continue
        k = min(int(short / 2) + 1, 256)
    else:
        k = 64 * n
    per = max(1, k // n)
    for s in socks:
        for _ in range(per):
            s.send(buf)
    writes += per * n
for s in socks:
    s.close()
print('{"writes": %d}' % writes, flush=True)
`;

const SENDER_C = fileURLToPath(new URL('../../../bench/scale/native/paced-sender.c', import.meta.url));
let compiled: string | null | undefined;

/**
 * bench/scale/native/paced-sender.c, compiled once per run into a temp
 * directory (cc comes with scripts/install.sh's g++); null without a
 * compiler, and the Python sender does the job, at a lower ceiling.
 */
function nativeSender(): string | null {
  if (compiled !== undefined) return compiled;
  const out = join(mkdtempSync(join(tmpdir(), 'kad-sender-')), 'paced-sender');
  const r = spawnSync('cc', ['-O2', '-o', out, SENDER_C], { encoding: 'utf8' });
  compiled = r.status === 0 ? out : null;
  if (compiled === null)
    process.stderr.write(`  [live] no C compiler (${(r.stderr ?? r.error?.message ?? '').trim().slice(0, 120)}): the Python sender\n`);
  return compiled;
}

function ipOk(args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

export function waitForLine(child: ChildProcess, test: (line: string) => boolean, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = '';
    const timer = setTimeout(() => done(null), ms);
    const onData = (s: string): void => {
      buf += s;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const hit = lines.find(test);
      if (hit !== undefined) done(hit);
    };
    const done = (v: string | null): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('close', onClose);
      resolve(v);
    };
    const onClose = (): void => done(null);
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.on('close', onClose);
  });
}

export function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export class VethLab {
  readonly nsA = `kadscale-a-${process.pid}`;
  /** The receiving namespace, where kad captures IF_B. */
  readonly nsB = `kadscale-b-${process.pid}`;
  private readonly children: ChildProcess[] = [];

  async open(): Promise<void> {
    for (const ns of [this.nsA, this.nsB]) {
      addNamespace(ns);
      if (!ipOk(['netns', 'add', ns])) throw new Error(`ip netns add ${ns} failed`);
      ipOk(['-n', ns, 'link', 'set', 'lo', 'up']);
      // No router solicitations or MLD reports on the link: every packet on it is the test's TCP.
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1'], { stdio: 'ignore' });
    }
    const setup = [
      ['-n', this.nsA, 'link', 'add', IF_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', this.nsB],
      ['-n', this.nsA, 'addr', 'add', CLIENT, 'peer', SERVER, 'dev', IF_A],
      ['-n', this.nsB, 'addr', 'add', SERVER, 'peer', CLIENT, 'dev', IF_B],
      ['-n', this.nsA, 'link', 'set', IF_A, 'up'],
      ['-n', this.nsB, 'link', 'set', IF_B, 'up'],
    ];
    for (const a of setup) if (!ipOk(a)) throw new Error(`ip ${a.join(' ')} failed`);
    // Permanent neighbours: no ARP on the link, so every packet on it is the test's TCP and the link's counters are the truth.
    const mac = (ns: string, dev: string): string =>
      spawnSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/address`], { encoding: 'utf8' }).stdout.trim();
    const macA = mac(this.nsA, IF_A);
    const macB = mac(this.nsB, IF_B);
    ipOk(['-n', this.nsA, 'neigh', 'replace', SERVER, 'lladdr', macB, 'dev', IF_A, 'nud', 'permanent']);
    ipOk(['-n', this.nsB, 'neigh', 'replace', CLIENT, 'lladdr', macA, 'dev', IF_B, 'nud', 'permanent']);
    // Autocorking would merge the small writes into fewer, larger segments: the point is many packets.
    spawnSync('ip', ['netns', 'exec', this.nsA, 'sysctl', '-q', '-w', 'net.ipv4.tcp_autocorking=0'], { stdio: 'ignore' });
    const receiver = this.spawn(this.nsB, process.execPath, ['-e', RECEIVER]);
    if ((await waitForLine(receiver, (l) => l === 'listening', 10_000)) === null) throw new Error('the receiver did not start');
  }

  /** A child in one of the namespaces, ended by close(). */
  spawn(ns: string, bin: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = track(spawn('ip', ['netns', 'exec', ns, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }));
    this.children.push(child);
    return child;
  }

  /** Packets on the wire so far (the sending end's tx + rx). */
  wirePackets(): number {
    const read = (c: string): number => {
      const r = spawnSync('ip', ['netns', 'exec', this.nsA, 'cat', `/sys/class/net/${IF_A}/statistics/${c}`], { encoding: 'utf8' });
      return Number(r.stdout.trim());
    };
    return read('tx_packets') + read('rx_packets');
  }

  /** Sends for `seconds` at `rate` packets/s on the wire (0: as fast as it can); resolves with the write count. */
  async send(streams: number, seconds: number, rate: number): Promise<number | null> {
    const native = nativeSender();
    const sender = native
      ? this.spawn(this.nsA, native, [SERVER, String(PORT), String(streams), String(seconds), String(rate), IF_A])
      : this.spawn(this.nsA, 'python3', ['-c', SENDER, String(streams), String(seconds), String(rate), IF_A]);
    const line = await waitForLine(sender, (l) => l.startsWith('{'), (seconds + 30) * 1000);
    return line ? (JSON.parse(line) as { writes: number }).writes : null;
  }

  async close(): Promise<void> {
    for (const c of this.children.reverse()) killChild(c);
    for (const c of this.children) await exited(c, 5000);
    deleteNamespace(this.nsA);
    deleteNamespace(this.nsB);
  }
}

/**
 * (d) Live capture through cap: two network namespaces of our own joined by
 * a veth, a sender pushing small TCP segments (TCP_NODELAY, autocorking
 * off) across it, `kad watch -i <veth>` in the receiving namespace. Packets
 * on the wire are counted at the senders (tx_packets of both veth ends: data
 * one way, ACKs the other, all of which cross the captured interface) and
 * compared with what kad counted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { addNamespace, deleteNamespace, killChild, track } from './children.js';
import { KAD } from './pipe-run.js';
import { emptySection, fmtInt, fmtRate, verdict, type SectionResult } from './scale-report.js';

export interface LiveOptions {
  seconds: number;
  streams: number;
  /** kad's --capture-with: cap in-process, or a tcpdump child. */
  captureWith: 'cap' | 'tcpdump';
  /** The report's section id. */
  id: string;
  /** kad's --buffer-size (bytes), when not its default. */
  bufferSize?: number;
}

const TARGET_PPS = 100_000;
const CLIENT = '192.0.2.1';
const SERVER = '198.51.100.1';
const PORT = 7400;
const IF_A = 'kscale-a';
const IF_B = 'kscale-b';

/** Reads and discards: the receiving application. */
const RECEIVER = `
const net = require('node:net');
net.createServer((s) => { s.setNoDelay(true); s.resume(); s.on('error', () => {}); })
  .listen(${PORT}, '${SERVER}', () => process.stdout.write('listening\\n'));
`;

/**
 * N streams writing 64-byte segments round-robin for S seconds, then the
 * write count. Python, not Node: a blocking send() per segment is about three
 * times the packet rate of Node's write() on this 2-core machine, where the
 * sender, the receiver and kad share the CPUs.
 */
const SENDER = `
import socket, sys, time
n, secs = int(sys.argv[1]), float(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(('${SERVER}', ${PORT}))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    socks.append(s)
buf = b'k' * 64
end = time.monotonic() + secs
writes = 0
while time.monotonic() < end:
    for s in socks:
        for _ in range(64):
            s.send(buf)
    writes += 64 * n
for s in socks:
    s.close()
print('{"writes": %d}' % writes, flush=True)
`;

function ipOk(args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

function txPackets(ns: string, dev: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/tx_packets`], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

function waitForLine(child: ChildProcess, test: (line: string) => boolean, ms: number): Promise<string | null> {
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

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function liveSection(o: LiveOptions): Promise<SectionResult> {
  const s = emptySection(
    o.id,
    `live capture through ${o.captureWith} on a veth between two namespaces (${o.seconds} s, ${o.streams} streams)`,
  );
  if (process.getuid?.() !== 0) {
    s.status = 'skipped';
    s.notes.push('needs root (network namespaces and a live capture)');
    return s;
  }
  const nsA = `kadscale-a-${process.pid}`;
  const nsB = `kadscale-b-${process.pid}`;
  const children: ChildProcess[] = [];
  try {
    for (const ns of [nsA, nsB]) {
      addNamespace(ns);
      if (!ipOk(['netns', 'add', ns])) throw new Error(`ip netns add ${ns} failed`);
      ipOk(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const setup = [
      ['-n', nsA, 'link', 'add', IF_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', nsB],
      ['-n', nsA, 'addr', 'add', CLIENT, 'peer', SERVER, 'dev', IF_A],
      ['-n', nsB, 'addr', 'add', SERVER, 'peer', CLIENT, 'dev', IF_B],
      ['-n', nsA, 'link', 'set', IF_A, 'up'],
      ['-n', nsB, 'link', 'set', IF_B, 'up'],
    ];
    for (const a of setup) if (!ipOk(a)) throw new Error(`ip ${a.join(' ')} failed`);
    // Autocorking would merge the small writes into fewer, larger segments: the point is many packets.
    spawnSync('ip', ['netns', 'exec', nsA, 'sysctl', '-q', '-w', 'net.ipv4.tcp_autocorking=0'], { stdio: 'ignore' });

    const receiver = track(spawn('ip', ['netns', 'exec', nsB, process.execPath, '-e', RECEIVER], { stdio: ['ignore', 'pipe', 'pipe'] }));
    children.push(receiver);
    if ((await waitForLine(receiver, (l) => l === 'listening', 10_000)) === null) throw new Error('the receiver did not start');

    const bufferArgs = o.bufferSize === undefined ? [] : ['--buffer-size', String(o.bufferSize)];
    const kad = track(
      spawn(
        'ip',
        [
          'netns',
          'exec',
          nsB,
          process.execPath,
          KAD,
          'watch',
          '-i',
          IF_B,
          '--capture-with',
          o.captureWith,
          '--stats-interval',
          '1000',
          ...bufferArgs,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NO_COLOR: '1' },
        },
      ),
    );
    children.push(kad);
    let kadErr = '';
    kad.stderr!.setEncoding('utf8').on('data', (x: string) => (kadErr += x));
    // The first stats line means the capture is open and kad is reading.
    if ((await waitForLine(kad, (l) => l.startsWith('{"type":"stats"'), 15_000)) === null) {
      throw new Error(`kad watch -i ${IF_B} printed no stats line: ${kadErr.trim().slice(0, 300)}`);
    }
    const lines: string[] = [];
    let rest = '';
    kad.stdout!.on('data', (x: string) => {
      rest += x;
      const ls = rest.split('\n');
      rest = ls.pop() ?? '';
      for (const l of ls) lines.push(l);
    });

    const txA0 = txPackets(nsA, IF_A);
    const txB0 = txPackets(nsB, IF_B);
    const t0 = Date.now();
    const sender = track(
      spawn('ip', ['netns', 'exec', nsA, 'python3', '-c', SENDER, String(o.streams), String(o.seconds)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    children.push(sender);
    process.stderr.write(`  [live] sending for ${o.seconds} s across ${IF_A} → ${IF_B}\n`);
    const sent = await waitForLine(sender, (l) => l.startsWith('{'), (o.seconds + 30) * 1000);
    const sendS = (Date.now() - t0) / 1000;
    // Let the last packets reach kad before its final count.
    await new Promise((r) => setTimeout(r, 1500));
    const txA = txPackets(nsA, IF_A) - txA0;
    const txB = txPackets(nsB, IF_B) - txB0;

    killChild(kad, 'SIGINT');
    if (!(await exited(kad, 15_000))) killChild(kad);
    await exited(kad, 5000);
    const stats = lines.filter((l) => l.startsWith('{"type":"stats"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const final = stats.find((x) => x.final === true) ?? stats.at(-1);
    const counted = typeof final?.packets === 'number' ? final.packets : null;
    const onWire = txA + txB;
    const rate = onWire / sendS;
    const loss = counted === null || onWire === 0 ? null : Math.max(0, 1 - counted / onWire);
    const writes = sent ? (JSON.parse(sent) as { writes: number }).writes : null;

    s.metrics.push(
      { metric: 'kad run', value: `exit ${kad.exitCode ?? kad.signalCode}`, target: 'exit 0', verdict: verdict(kad.exitCode === 0) },
      { metric: 'packets on the wire (tx at both ends)', value: `${fmtInt(onWire)} (${fmtInt(txA)} data side, ${fmtInt(txB)} ACK side)` },
      {
        metric: 'traffic rate',
        value: `${fmtRate(rate)} packets/s over ${sendS.toFixed(1)} s`,
        target: `>= ${fmtRate(TARGET_PPS)}`,
        verdict: verdict(rate >= TARGET_PPS),
      },
      { metric: 'packets kad counted', value: counted === null ? 'n/a' : fmtInt(counted) },
      { metric: 'loss', value: loss === null ? 'n/a' : `${(loss * 100).toFixed(2)} %` },
      {
        metric: 'loss kad reported (sourceDrops, libpcap)',
        value:
          typeof final?.sourceDrops === 'number' && onWire > 0
            ? `${fmtInt(final.sourceDrops)} (${((final.sourceDrops / onWire) * 100).toFixed(2)} %)`
            : 'none (this source has no drop count)',
      },
      {
        metric: 'missed at most (link counters − captured)',
        value: typeof final?.sourceMissedAtMost === 'number' ? fmtInt(final.sourceMissedAtMost) : 'n/a',
      },
    );
    if (writes !== null) s.notes.push(`the sender made ${fmtInt(writes)} writes of 64 bytes`);
    if (kadErr.trim()) s.notes.push(`kad stderr: ${kadErr.trim().split('\n').slice(0, 3).join(' | ')}`);
    s.data = {
      seconds: sendS,
      streams: o.streams,
      txData: txA,
      txAcks: txB,
      onWire,
      packetsPerSec: rate,
      kadPackets: counted,
      lossFraction: loss,
      sourceDrops: final?.sourceDrops ?? null,
      sourceMissedAtMost: final?.sourceMissedAtMost ?? null,
      exitCode: kad.exitCode,
      writes,
    };
    return s;
  } finally {
    for (const c of children.reverse()) killChild(c);
    for (const c of children) await exited(c, 5000);
    deleteNamespace(nsA);
    deleteNamespace(nsB);
  }
}

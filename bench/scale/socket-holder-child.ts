/**
 * One holder process: listens on 127.0.0.1:<port> inside the namespace it
 * was started in and connects <count> clients to itself, holding both ends
 * (2 fds per connection: the hard open-files limit of 20 000 per process
 * caps a holder at 9 500 connections). Every other client socket has
 * SO_KEEPALIVE on, so the table has both kinds of timer. Prints "ready N"
 * once all are connected and accepted, then idles until killed.
 *
 * node socket-holder-child.js <port> <count>
 */
import net from 'node:net';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
if (!Number.isInteger(port) || !Number.isInteger(count) || count < 0) {
  process.stderr.write('usage: socket-holder-child <port> <count>\n');
  process.exit(2);
}

const held: net.Socket[] = [];
let accepted = 0;
const acceptWaiters: Array<{ n: number; resolve: () => void }> = [];

/**
 * Until n connections have been accepted. A connection the listener has not
 * accepted yet has no inode (no file), and one whose final ACK found the
 * accept queue full stays half-open until the SYN-ACK retries run out, while
 * its client already counts it as connected; waiting for the accepts after
 * each wave keeps the queue short, and "ready" means both ends are held.
 */
function acceptedAtLeast(n: number): Promise<void> {
  return accepted >= n ? Promise.resolve() : new Promise((resolve) => acceptWaiters.push({ n, resolve }));
}

/** Connects in waves, each far below the listen backlog (somaxconn 4096 in a new namespace). */
const WAVE = 500;

function dial(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      if (i % 2 === 0) s.setKeepAlive(true, 7_200_000);
      held.push(s);
      resolve();
    });
    s.once('error', reject);
  });
}

const server = net.createServer((s) => {
  s.on('error', () => undefined);
  held.push(s);
  accepted++;
  for (let k = acceptWaiters.length - 1; k >= 0; k--) {
    const w = acceptWaiters[k]!;
    if (accepted < w.n) continue;
    acceptWaiters.splice(k, 1);
    w.resolve();
  }
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  void (async () => {
    for (let i = 0; i < count; i += WAVE) {
      const wave: Promise<void>[] = [];
      for (let j = i; j < Math.min(count, i + WAVE); j++) wave.push(dial(j));
      await Promise.all(wave);
      await acceptedAtLeast(Math.min(count, i + WAVE));
    }
    process.stdout.write(`ready ${count}\n`);
  })().catch((err: unknown) => {
    process.stderr.write(`holder ${port}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
});

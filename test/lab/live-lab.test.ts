/**
 * Live capture in the lab: the forged-RST scenarios (the firewall forgets
 * an idle flow and answers the server's keepalive probe with a RST in the
 * client's name) played while `kad watch` captures with cap INSIDE the
 * server namespace, where cap sees that namespace's interfaces. Its JSON
 * Lines must carry the middlebox verdict for that RST. IPv4 on the
 * server's veth (Ethernet), IPv6 on `any` (Linux cooked capture).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { LAB_PORT } from '../../lab/endpoint-protocol.js';
import { sleep } from '../../lab/exec.js';
import { applyFirewall } from '../../lab/firewall.js';
import { findScenario } from '../../lab/scenarios/index.js';
import { ADDR, createTopology, IFACE, newLabPrefix } from '../../lab/topology.js';
import { KAD } from '../helpers/run-kad.js';
import { labSkip } from '../helpers/lab-gate.js';

interface Line {
  type: string;
  [k: string]: unknown;
}

/** kad watch in a namespace; stdout parsed as JSON Lines as they come. */
function startWatch(
  ns: string,
  args: string[],
): {
  child: ChildProcess;
  lines: Line[];
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor: (pred: (l: Line) => boolean, ms: number, what: string) => Promise<Line>;
} {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, KAD, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Line));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const waitFor = async (pred: (l: Line) => boolean, ms: number, what: string): Promise<Line> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (gone || Date.now() > deadline) throw new Error(`no ${what} from kad watch (${gone ? 'it exited' : 'timed out'}); stderr: ${err}`);
      await sleep(50);
    }
  };
  return { child, lines, stderr: () => err, exited, waitFor };
}

const skip = labSkip(import.meta.url, { lab: true });

for (const [scenario, iface, linkNote] of [
  ['fw-reset-keepalive', IFACE.server, 'Ethernet'],
  ['fw-reset-keepalive-v6', 'any', 'Linux cooked'],
] as const) {
  test(
    `lab ${scenario}: kad watch -i ${iface} in the server namespace (${linkNote}) reports the forged RST as middlebox`,
    { skip, timeout: 90_000 },
    async (t) => {
      const spec = findScenario(scenario);
      assert.ok(spec, `scenario ${scenario} is gone from lab/scenarios`);
      const cleanup = new Cleanup();
      const prefix = newLabPrefix();
      try {
        const topo = await createTopology(prefix, cleanup);
        await applyFirewall(topo, spec.firewall);
        const w = startWatch(topo.ns.server, ['-i', iface, '--refresh', '200', '--stats-interval', '200']);
        cleanup.add(
          'stop kad watch',
          async () => {
            if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
            await w.exited;
          },
          () => void w.child.kill('SIGKILL'),
        );
        const first = await w.waitFor((l) => l.type === 'stats', 15_000, 'first stats line (capture open)');
        assert.match(String(first.source), new RegExp(`^${iface}, libpcap via cap, arrival timestamps, filter "tcp"$`));

        const t0 = Date.now();
        const addr = ADDR[spec.ipVersion];
        const result = await spec.drive({ topo, addr, cleanup, captures: { client: 'client.pcap', server: 'server.pcap' } });
        t.diagnostic(`${scenario}: scenario played in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const truth = result.connections[0]!.resets[0]!;
        assert.equal(truth.sentBy, 'middlebox', 'the lab says the firewall forged it');

        const reset = await w.waitFor((l) => l.type === 'reset', 10_000, 'reset verdict');
        w.child.kill('SIGINT');
        const code = await w.exited;

        assert.equal(reset.attribution, 'middlebox', JSON.stringify(reset));
        assert.equal(reset.claimedSender, 'client', "forged in the client's name");
        assert.equal(reset.dir, 'c2s');
        assert.equal((reset.trigger as { kind: string } | null)?.kind, 'keepalive', "it answered the server's keepalive probe");
        const host = (a: string): string => (spec.ipVersion === 6 ? `[${a}]` : a);
        assert.equal(reset.server, `${host(addr.server)}:${LAB_PORT}`);
        assert.match(String(reset.client), new RegExp(`^${host(addr.client).replace(/[[\]]/g, '\\$&')}:\\d+$`));
        assert.match(String(reset.ts), /^\d+\.\d{9}$/);

        assert.equal(code, 0, `kad watch exit after SIGINT; stderr: ${w.stderr()}`);
        assert.equal(w.lines.filter((l) => l.type === 'reset').length, 1, 'each verdict once');
        const final = w.lines.at(-1)!;
        assert.equal(final.type, 'stats');
        assert.equal(final.final, true);
        assert.equal((final.resetsBy as Record<string, number>).middlebox, 1);
        assert.equal(w.stderr(), '', 'nothing on stderr');
      } finally {
        const failures = await cleanup.run();
        assert.deepEqual(failures, [], 'lab cleanup');
        const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter((l) => l.startsWith(`${prefix}-`));
        assert.deepEqual(left, [], 'namespaces left behind');
      }
    },
  );
}

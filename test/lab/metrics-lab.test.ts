/**
 * The proof for `--metrics`: during the lab's forged-RST scenario a
 * LiveModel follows the server edge live (tcpdump writing a pcap stream into
 * a pipe), and a Prometheus scrape of /metrics shows the firewall's RST
 * counted as a middlebox reset on the server's path.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { sleep, stopChild } from '../../lab/exec.js';
import { LAB_PORT } from '../../lab/endpoint-protocol.js';
import { applyFirewall } from '../../lab/firewall.js';
import { findScenario } from '../../lab/scenarios/index.js';
import { ADDR, createTopology, IFACE, newLabPrefix, type Topology } from '../../lab/topology.js';
import type { PacketHandler } from '../../src/capture/packet-record.js';
import { readCaptureStream } from '../../src/capture/read-capture.js';
import { LiveModel } from '../../src/live/live-model.js';
import type { PacketFeed } from '../../src/live/packet-feed.js';
import { startMetricsServer } from '../../src/metrics/metrics-server.js';
import { labSkip } from '../helpers/lab-gate.js';
import { namespacesLeft } from '../helpers/namespaces-left.js';
import { sample } from '../helpers/prom-text.js';

const skip = labSkip(import.meta.url, { lab: true });

/** tcpdump inside a namespace, its pcap stream read as it is written. */
class NetnsTcpdumpFeed implements PacketFeed {
  readonly label: string;
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Resolves once tcpdump says it is listening: traffic before that would be missed. */
  ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(
    private readonly ns: string,
    private readonly iface: string,
    cleanup: Cleanup,
  ) {
    this.label = `${iface} in ${ns} (tcpdump pipe)`;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    cleanup.add(
      `stop tcpdump in ${ns}`,
      () => this.halt(),
      () => this.child?.kill('SIGKILL'),
    );
  }

  start(onPacket: PacketHandler): Promise<void> {
    const child = spawn(
      'ip',
      ['netns', 'exec', this.ns, 'tcpdump', '-i', this.iface, '-n', '--immediate-mode', '-U', '-s', '256', '-w', '-', 'tcp'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('listening on')) this.markReady();
    });
    return readCaptureStream(child.stdout, onPacket, { displayName: this.label }).then(() => undefined);
  }

  stop(): void {
    void this.halt();
  }

  private async halt(): Promise<void> {
    // SIGINT: tcpdump flushes and ends its stream, so the reader finishes cleanly.
    if (this.child) await stopChild(this.child, this.exited, 'SIGINT');
  }
}

async function scrapeUntil(url: string, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(url)).text();
    if (done(text) || Date.now() > until) return text;
    await sleep(200);
  }
}

test('kad watch --metrics during the lab forged-RST scenario counts the middlebox reset', { skip, timeout: 120_000 }, async (t) => {
  const spec = findScenario('fw-reset-keepalive');
  assert.ok(spec, 'the lab has the fw-reset-keepalive scenario');
  const cleanup = new Cleanup();
  const t0 = Date.now();
  let topo: Topology | null = null;
  try {
    topo = await createTopology(newLabPrefix(), cleanup);
    await applyFirewall(topo, spec.firewall);
    const feed = new NetnsTcpdumpFeed(topo.ns.server, IFACE.server, cleanup);
    const model = new LiveModel(feed, { refreshMs: 200 });
    const running = model.run();
    cleanup.add(
      'stop the live model',
      async () => {
        model.stop();
        await running;
      },
      () => {},
    );
    await feed.ready;
    const metrics = await startMetricsServer(model, '127.0.0.1:0');
    cleanup.add(
      'close the metrics server',
      () => metrics.close(),
      () => {},
    );

    const path = `${ADDR[4].server}:${LAB_PORT}`;
    const before = await (await fetch(metrics.url)).text();
    assert.equal(sample(before, 'kad_resets_total', { attribution: 'middlebox', path }), undefined, 'no reset before the scenario');

    // The scenario's own driver: the server's keepalive probe after 5 s idle meets the firewall's 3 s timeout.
    await spec.drive({ topo, addr: ADDR[4], cleanup, captures: { client: 'client', server: 'server' } });
    const text = await scrapeUntil(
      metrics.url,
      (s) => (sample(s, 'kad_resets_total', { attribution: 'middlebox', path }) ?? 0) >= 1,
      10_000,
    );

    assert.equal(sample(text, 'kad_resets_total', { attribution: 'middlebox', path }), 1, text);
    for (const other of ['peer', 'local-stack', 'unknown']) {
      assert.equal(sample(text, 'kad_resets_total', { attribution: other, path }), undefined, `${other} resets`);
    }
    assert.ok((sample(text, 'kad_keepalive_probes_sent_total') ?? 0) >= 1, 'the fatal keepalive probe is counted');
    const upper = sample(text, 'kad_idle_timeout_upper_bound_seconds', { path });
    // The probe leaves after 5 s by the kernel's timer, which counts in jiffies from the last segment the
    // server received: on the capture's clock the silence before it measured 4.9998 s in some runs.
    assert.ok(upper !== undefined && upper >= 4.9 && upper < 6, `inferred upper bound ${upper}`);
    assert.ok((sample(text, 'kad_packets_captured_total') ?? 0) >= 8);
    t.diagnostic(`scenario + scrape took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    const failures = await cleanup.run();
    assert.deepEqual(failures, [], 'cleanup failed');
    if (topo) {
      assert.deepEqual(namespacesLeft(topo.prefix), [], 'namespaces left behind');
    }
  }
});

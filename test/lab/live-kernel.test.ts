/**
 * `kad live --kernel` in tmux, in the lab server's namespace, while the
 * forged-RST scenario plays: the event log shows the kernel's word that the
 * server's application got ECONNRESET, the connection's row carries it next
 * to its middlebox verdict, and the trace instance is gone after quitting.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Cleanup } from '../../lab/cleanup.js';
import { applyFirewall } from '../../lab/firewall.js';
import { findScenario } from '../../lab/scenarios/index.js';
import { ADDR, createTopology, IFACE, newLabPrefix } from '../../lab/topology.js';
import { labSkip } from '../helpers/lab-gate.js';
import { hostTracefs, INSTANCES, kadInstances } from '../helpers/host-tracefs.js';
import { KAD } from '../helpers/run-kad.js';
import { tmuxSession } from '../helpers/tmux-session.js';

const skip = labSkip(import.meta.url, { lab: true, tools: ['tmux'] });
hostTracefs(skip);

test(
  'kad live --kernel: the kernel event in the log, the application error on the row, no trace instance left',
  { skip, timeout: 90_000 },
  async (t) => {
    const spec = findScenario('fw-reset-keepalive')!;
    const cleanup = new Cleanup();
    const before = new Set(kadInstances());
    let session: ReturnType<typeof tmuxSession> | null = null;
    t.after(async () => {
      session?.kill();
      await cleanup.run();
    });
    const topo = await createTopology(newLabPrefix(), cleanup);
    await applyFirewall(topo, spec.firewall);
    const cmd = `ip netns exec ${topo.ns.server} ${process.execPath} ${KAD} live --kernel -i ${IFACE.server}; echo EXIT=$?; sleep 60`;
    session = tmuxSession(`kad-livekernel-${process.pid}`, cmd, { cols: 200, rows: 50 });
    const { until, keys } = session;
    await until('kad live', (s) => s.includes('connections 0'));
    // The trace instance is open once the screen is up (it is made before the capture).
    assert.ok(
      kadInstances().some((n) => !before.has(n)),
      'a trace instance of its own',
    );

    await spec.drive({ topo, addr: ADDR[spec.ipVersion], cleanup, captures: { client: 'c.pcap', server: 's.pcap' } });
    const s = await until(
      'the kernel line and the marked row',
      (x) => /kernel .*the application got ECONNRESET/.test(x) && /ECONNRESET/.test(x.split('timeline')[0]!),
    );
    assert.match(s, /#1 kernel .*198\.51\.100\.10:5432 ↔ 192\.0\.2\.10:\d+ node\[\d+\]: the application got ECONNRESET/);
    assert.match(s, /middlebox RST \(0\.\d\d\) · app got ECONNRESET/);

    keys('q');
    await until('kad to exit', (x) => x.includes('EXIT=0'));
    assert.deepEqual(
      kadInstances().filter((n) => !before.has(n)),
      [],
      'the trace instance is removed on quitting',
    );
    assert.ok(!existsSync(`${INSTANCES}/kad-${process.pid}`));
  },
);

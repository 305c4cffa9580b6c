import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { END_MARKER_PORT, SNAPLEN, startCapture } from './capture.js';
import type { Cleanup } from './cleanup.js';
import { LabError, run, sleep } from './exec.js';
import { applyFirewall, staleFlowPackets } from './firewall.js';
import type { ScenarioResult, ScenarioSpec } from './scenario.js';
import { ADDR, createTopology, IFACE, newLabPrefix, type Topology } from './topology.js';
import { TRUTH_SCHEMA, type Edge, type LabTruth } from './truth.js';

/** Trailing ACKs and the like are still on their way when a driver returns. */
const SETTLE_MS = 300;

export function captureNames(scenario: string): Record<Edge, string> & { truth: string } {
  return { client: `${scenario}.client.pcap`, server: `${scenario}.server.pcap`, truth: `${scenario}.truth.json` };
}

/**
 * The firewall's own counter must agree with what the truth says it did;
 * otherwise the lab did not do what it claims and its truth file would lie.
 */
function checkFirewallCounter(spec: ScenarioSpec, result: ScenarioResult, stale: number): void {
  const conns = result.connections;
  if (spec.firewall.action === 'reject') {
    const forged = conns.flatMap((c) => c.resets).filter((r) => r.sentBy === 'middlebox').length;
    if (forged !== stale) throw new LabError(`${spec.name}: the firewall forged ${stale} RST(s), the scenario expected ${forged}`);
  } else {
    const known = conns.flatMap((c) => c.staleFlowHits).reduce((n, h) => n + (h.segments ?? 1), 0);
    if (stale < known)
      throw new LabError(`${spec.name}: the firewall dropped ${stale} segment(s), the scenario expected at least ${known}`);
  }
}

/**
 * One datagram from each end to its gateway after the scenario, captured at
 * both edges: proof that each capture was still running after everything the
 * scenario did, which two-sided analysis needs before it may call a RST that
 * is missing from the claimed sender's capture "never sent".
 */
async function markCaptureEnd(topo: Topology, ipVersion: 4 | 6): Promise<void> {
  const a = ADDR[ipVersion];
  const ends: Array<[string, string]> = [
    [topo.ns.client, a.fwClientSide],
    [topo.ns.server, a.fwServerSide],
  ];
  for (const [ns, gateway] of ends) {
    const script = `const s=require('dgram').createSocket('udp${ipVersion}');s.send('end of capture',${END_MARKER_PORT},'${gateway}',()=>s.close())`;
    await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script]);
  }
}

/**
 * Builds the lab, plays one scenario with both edges captured, and writes
 * `<scenario>.{client,server}.pcap` and `<scenario>.truth.json` into outDir.
 * Everything it creates is registered with `cleanup`; the caller runs it.
 */
export async function runScenario(spec: ScenarioSpec, outDir: string, cleanup: Cleanup, log: (msg: string) => void): Promise<LabTruth> {
  const startedAt = new Date();
  const prefix = newLabPrefix();
  const work = await mkdtemp(join(tmpdir(), `${prefix}-`));
  cleanup.add(
    `remove ${work}`,
    () => rm(work, { recursive: true, force: true }),
    () => rmSync(work, { recursive: true, force: true }),
  );
  const topo = await createTopology(prefix, cleanup);
  await applyFirewall(topo, spec.firewall);
  const names = captureNames(spec.name);
  const client = await startCapture(topo.ns.client, IFACE.client, join(work, names.client), cleanup);
  const server = await startCapture(topo.ns.server, IFACE.server, join(work, names.server), cleanup);
  const t0 = Date.now();
  log(`${spec.name}: namespaces ${topo.prefix}-*, capturing; ${spec.summary}`);

  const result = await spec.drive({ topo, addr: ADDR[spec.ipVersion], cleanup, captures: { client: names.client, server: names.server } });

  await sleep(SETTLE_MS);
  await markCaptureEnd(topo, spec.ipVersion);
  await sleep(SETTLE_MS);
  const stats = { client: await client.stop(), server: await server.stop() };
  const durationS = (Date.now() - t0) / 1000;
  for (const edge of ['client', 'server'] as const) {
    const dropped = stats[edge].droppedByKernel;
    if (dropped)
      throw new LabError(`${spec.name}: tcpdump on the ${edge} edge lost ${dropped} packet(s); the capture would not match the truth`);
  }
  const stale = await staleFlowPackets(topo);
  checkFirewallCounter(spec, result, stale);

  const truth: LabTruth = {
    schema: TRUTH_SCHEMA,
    scenario: spec.name,
    summary: spec.summary,
    ipVersion: spec.ipVersion,
    firewall: { ...spec.firewall, tcpLoose: 0, staleFlowPackets: stale },
    path: { hops: 1, initialTtl: 64 },
    keepalive: result.keepalive,
    captures: {
      client: names.client,
      server: names.server,
      snaplen: SNAPLEN,
      droppedByKernel: { client: stats.client.droppedByKernel, server: stats.server.droppedByKernel },
    },
    startedAt: startedAt.toISOString(),
    durationS: Math.round(durationS * 10) / 10,
    connections: result.connections,
    notes: result.notes,
    ...(result.setup ? { setup: result.setup } : {}),
  };
  await mkdir(outDir, { recursive: true });
  await copyFile(join(work, names.client), join(outDir, names.client));
  await copyFile(join(work, names.server), join(outDir, names.server));
  await writeFile(join(outDir, names.truth), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}

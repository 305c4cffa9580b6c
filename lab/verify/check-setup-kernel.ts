/**
 * A set-up scenario's kernel figures against what the scenario must cause:
 * counter deltas in the client's and the server's namespace, the listener's
 * accept queue, backlog (the application's listen() backlog capped at
 * somaxconn) and half-open connections, and the firewall's own counters.
 * These work without the packet-level verdicts: they prove the scenario did
 * what its truth says.
 */
import type { LabTruth } from '../truth.js';
import { inRange, rangeText } from '../setup/group-match.js';
import { Checks, type Check } from './check.js';

export function checkSetupKernel(truth: LabTruth): Check[] {
  const c = new Checks();
  const setup = truth.setup;
  if (!setup) {
    c.that('both', 'a set-up scenario has set-up truth', false, 'setup', 'none');
    return c.list;
  }
  for (const ns of ['client', 'server'] as const) {
    const measured = setup.counters.measured[ns];
    for (const [name, range] of Object.entries(setup.counters.expected[ns])) {
      const v = measured[name] ?? 0;
      c.that(ns, `${name} delta in the ${ns}'s namespace`, inRange(v, range), rangeText(range), v);
    }
  }
  const l = setup.listener;
  if (l) {
    const m = l.measured;
    c.that('server', 'kad reads the listener', m !== null, `${l.local.addr}:${l.local.port}`, m);
    if (m) {
      c.eq(
        'server',
        `backlog: listen(${l.requestedBacklog}) capped at somaxconn ${l.somaxconn}`,
        m.backlog,
        Math.min(l.requestedBacklog, l.somaxconn),
      );
      c.eq('server', 'backlog as the scenario configured it', m.backlog, l.expected.backlog);
      c.that('server', 'accept queue (waiting for accept())', inRange(m.queue, l.expected.queue), rangeText(l.expected.queue), m.queue);
      c.that(
        'server',
        'half-open connections (SYN queue)',
        inRange(m.synRecv, l.expected.synRecv),
        rangeText(l.expected.synRecv),
        m.synRecv,
      );
    }
  }
  for (const [name, f] of Object.entries(setup.firewall)) {
    c.that('both', `firewall counter ${name}`, inRange(f.measured, f.expected), rangeText(f.expected), f.measured);
  }
  c.eq('both', "packets the firewall's stale-flow rule met", truth.firewall.staleFlowPackets, 0);
  return c.list;
}

import type { ScenarioContext, ScenarioResult, ScenarioSpec } from '../../scenario.js';
import { CLOSED_PORT, exact, failedConnect, group, setupResult } from '../../setup/setup-kit.js';

/** A SYN to a port nothing listens on: the server's kernel answers with a RST and the client gets ECONNREFUSED. */
export const refused: ScenarioSpec = {
  name: 'setup-refused',
  summary: `The client connects to port ${CLOSED_PORT}, where nothing listens: the server's kernel answers the SYN with a RST (ECONNREFUSED).`,
  ipVersion: 4,
  firewall: { idleTimeoutS: 60, action: 'drop', nat: false },
  drive,
};

async function drive(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { error, counters } = await failedConnect(ctx, 'ECONNREFUSED', 3000, { port: CLOSED_PORT });
  // The client never learns its own port from a failed connect(): every client connection here is this one.
  const g = group(ctx, {
    role: 'SYN to a closed port',
    ports: null,
    server: { addr: ctx.addr.server, port: CLOSED_PORT },
    kind: { client: 'refused', server: 'refused' },
    completes: { client: false, server: false },
    clientError: error.code,
  });
  return setupResult({
    expectedKind: 'refused',
    groups: [g],
    sysctls: { client: [], server: [] },
    counters: {
      expected: {
        server: { OutRsts: exact(1), ListenDrops: exact(0), AttemptFails: exact(0) },
        client: { AttemptFails: exact(1), OutRsts: exact(0) },
      },
      measured: counters,
    },
    listener: null,
    firewall: {},
  });
}

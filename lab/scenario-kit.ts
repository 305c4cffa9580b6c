/** Building blocks shared by the scenario drivers. */
import { EndpointHandle } from './endpoint-handle.js';
import { LAB_PORT, type AddrPort, type EventOf } from './endpoint-protocol.js';
import { LabError, sleep } from './exec.js';
import type { ScenarioContext } from './scenario.js';
import type { AppOutcome, EdgeView, KeepaliveSetting } from './truth.js';

/** libuv's fixed keepalive interval and count behind Node's socket.setKeepAlive. */
export const NODE_KEEPINTVL_S = 1;
export const NODE_KEEPCNT = 10;

export interface Pair {
  client: EndpointHandle;
  server: EndpointHandle;
  /** Each socket's own view: local and remote address as its kernel reports them. */
  clientView: { local: AddrPort; remote: AddrPort };
  serverView: { local: AddrPort; remote: AddrPort };
}

/** Starts an echoing server and a client, and waits for the connection. */
export async function connectPair(ctx: ScenarioContext): Promise<Pair> {
  const tag = ['--lab', ctx.topo.prefix];
  const server = EndpointHandle.start(
    'server',
    ctx.topo.ns.server,
    ['--role', 'server', '--addr', ctx.addr.server, '--port', String(LAB_PORT), '--echo', ...tag],
    ctx.cleanup,
  );
  await server.waitFor('listening', 5000);
  const client = EndpointHandle.start(
    'client',
    ctx.topo.ns.client,
    ['--role', 'client', '--addr', ctx.addr.server, '--port', String(LAB_PORT), ...tag],
    ctx.cleanup,
  );
  const connected = await client.waitFor('connected', 5000);
  const accepted = await server.waitFor('accepted', 5000);
  return {
    client,
    server,
    clientView: { local: connected.local, remote: connected.remote },
    serverView: { local: accepted.local, remote: accepted.remote },
  };
}

/** Endpoint timestamps (ms) of one exchange: the client's write, and when each side last saw data. */
export interface Exchange {
  wroteT: number;
  serverT: number;
  clientT: number;
}

/** Client sends `text`, the echoing server sends it back; fails if either leg does not arrive. */
export async function exchange(pair: Pair, text: string, timeoutMs = 2000): Promise<Exchange> {
  const s = pair.server.mark();
  const c = pair.client.mark();
  pair.client.send({ op: 'write', text });
  const wrote = await pair.client.waitFor('wrote', timeoutMs, c);
  const got = await pair.server.waitFor('data', timeoutMs, s);
  const back = await pair.client.waitFor('data', timeoutMs, c);
  if (got.bytes !== text.length || back.bytes !== text.length) {
    throw new LabError(`exchange of ${text.length} bytes arrived as ${got.bytes}/${back.bytes}: the lab expects one segment each way`);
  }
  return { wroteT: wrote.t, serverT: got.t, clientT: back.t };
}

/** The client sends its FIN, the server (not allowing half-open) answers with its own; both sockets close. */
export async function closeNormally(pair: Pair): Promise<void> {
  const c = pair.client.mark();
  const s = pair.server.mark();
  pair.client.send({ op: 'end' });
  await pair.client.waitFor('close', 3000, c);
  await pair.server.waitFor('close', 3000, s);
}

/**
 * The client writes once `idleMs` have passed since `sinceT` (an endpoint
 * timestamp). Returns the write's event and the mark to await its fate from.
 */
export async function clientWritesAfterIdle(
  pair: Pair,
  sinceT: number,
  idleMs: number,
): Promise<{ wrote: EventOf<'wrote'>; mark: number }> {
  await idleUntil(sinceT, idleMs);
  const mark = pair.client.mark();
  pair.client.send({ op: 'write', text: 'after idle\n' });
  return { wrote: await pair.client.waitFor('wrote', 2000, mark), mark };
}

/** Sleeps until `idleMs` have passed since `sinceT` (an endpoint timestamp). */
export async function idleUntil(sinceT: number, idleMs: number): Promise<void> {
  await sleep(Math.max(0, sinceT + idleMs - Date.now()));
}

export function seconds(fromT: number, toT: number): number {
  return Math.round(toT - fromT) / 1000;
}

export function expectError(what: string, got: { code: string }, code: string): void {
  if (got.code !== code) throw new LabError(`${what}: expected ${code}, got ${got.code}`);
}

export function edges(
  ctx: ScenarioContext,
  pair: Pair,
  client: Pick<EdgeView, 'ended' | 'endedBy'>,
  server: Pick<EdgeView, 'ended' | 'endedBy'>,
): { client: EdgeView; server: EdgeView } {
  return {
    client: { capture: ctx.captures.client, client: pair.clientView.local, server: pair.clientView.remote, ...client },
    server: { capture: ctx.captures.server, client: pair.serverView.remote, server: pair.serverView.local, ...server },
  };
}

export function appOutcome(h: EndpointHandle): AppOutcome {
  const sum = (xs: Array<{ bytes: number }>): number => xs.reduce((n, x) => n + x.bytes, 0);
  return {
    error: h.all('error')[0]?.code ?? null,
    closed: h.all('close').length > 0,
    bytesWritten: sum(h.all('wrote')),
    bytesRead: sum(h.all('data')),
  };
}

/** Enables keepalive on one endpoint's socket and describes what is now in effect. */
export async function enableKeepalive(
  h: EndpointHandle,
  idleS: number,
  source: string,
  recommended: KeepaliveSetting['recommended'] = undefined,
): Promise<KeepaliveSetting> {
  if (!Number.isInteger(idleS) || idleS < 1) throw new LabError(`keepalive idle must be whole seconds ≥ 1 (TCP_KEEPIDLE), got ${idleS}`);
  const m = h.mark();
  h.send({ op: 'keepalive', ms: idleS * 1000 });
  await h.waitFor('keepalive-set', 2000, m);
  return { idleS, intervalS: NODE_KEEPINTVL_S, probes: NODE_KEEPCNT, source, ...(recommended === undefined ? {} : { recommended }) };
}

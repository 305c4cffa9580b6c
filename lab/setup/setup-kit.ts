/** Building blocks of the set-up scenarios: endpoints with set-up options, kernel snapshots, expectations. */
import { EndpointHandle } from '../endpoint-handle.js';
import { LAB_PORT, type AddrPort, type EventName, type EventOf } from '../endpoint-protocol.js';
import { LabError, run, sleep } from '../exec.js';
import { firewallCounter } from '../firewall.js';
import { expectError } from '../scenario-kit.js';
import type { ScenarioContext, ScenarioResult } from '../scenario.js';
import { sysctl } from '../topology.js';
import type { CounterValues } from '../../src/sockets/kernel-counters.js';
import { moved, readCounters, readListener, synRecvPorts } from './kernel-view.js';
import type { ListenerFigures, Namespace, Range, SetupGroup, SetupTruth } from './setup-truth.js';

export const exact = (n: number): Range => ({ min: n, max: n });
export const atLeast = (n: number): Range => ({ min: n, max: Number.MAX_SAFE_INTEGER });
/** A port nothing listens on: the server's kernel answers its SYNs with a RST. */
export const CLOSED_PORT = LAB_PORT + 1;

export interface ServerOptions {
  port?: number;
  backlog?: number;
  echo?: boolean;
}

export async function startServer(ctx: ScenarioContext, opts: ServerOptions = {}): Promise<EndpointHandle> {
  const args = ['--role', 'server', '--addr', ctx.addr.server, '--port', String(opts.port ?? LAB_PORT), '--lab', ctx.topo.prefix];
  if (opts.backlog !== undefined) args.push('--backlog', String(opts.backlog));
  if (opts.echo ?? true) args.push('--echo');
  const server = EndpointHandle.start('server', ctx.topo.ns.server, args, ctx.cleanup);
  await server.waitFor('listening', 5000);
  return server;
}

export interface ClientOptions {
  port?: number;
  connections?: number;
  localAddr?: string;
  localPort?: number;
}

export function startClient(ctx: ScenarioContext, name: string, opts: ClientOptions = {}): EndpointHandle {
  const args = ['--role', 'client', '--addr', ctx.addr.server, '--port', String(opts.port ?? LAB_PORT), '--lab', ctx.topo.prefix];
  if (opts.connections !== undefined) args.push('--connections', String(opts.connections));
  if (opts.localAddr !== undefined) args.push('--local-addr', opts.localAddr);
  if (opts.localPort !== undefined) args.push('--local-port', String(opts.localPort));
  return EndpointHandle.start(name, ctx.topo.ns.client, args, ctx.cleanup);
}

/** Waits until `n` events `ev` have arrived since `from`; returns them. */
export async function waitCount<E extends EventName>(
  h: EndpointHandle,
  ev: E,
  n: number,
  timeoutMs: number,
  from = 0,
): Promise<Array<EventOf<E>>> {
  const until = Date.now() + timeoutMs;
  while (h.all(ev, from).length < n) {
    if (Date.now() > until) throw new LabError(`${h.name}: ${h.all(ev, from).length} of ${n} '${ev}' events within ${timeoutMs} ms`);
    await sleep(20);
  }
  return h.all(ev, from);
}

/** Sets sysctls in the client and server namespaces; returns them for the truth file. */
export async function setSysctls(
  ctx: ScenarioContext,
  settings: Partial<Record<Namespace, string[]>>,
): Promise<Record<Namespace, string[]>> {
  const out: Record<Namespace, string[]> = { client: settings.client ?? [], server: settings.server ?? [] };
  for (const side of ['client', 'server'] as const) for (const setting of out[side]) await sysctl(ctx.topo.ns[side], setting);
  return out;
}

export type Snapshot = Record<Namespace, CounterValues>;

export async function snapshot(ctx: ScenarioContext): Promise<Snapshot> {
  return { client: await readCounters(ctx.topo.ns.client), server: await readCounters(ctx.topo.ns.server) };
}

export async function movedSince(ctx: ScenarioContext, before: Snapshot): Promise<Snapshot> {
  const now = await snapshot(ctx);
  return { client: moved(before.client, now.client), server: moved(before.server, now.server) };
}

/** Reads the scenario's firewall counters and pairs each with what the scenario expects of it. */
export async function firewallCounts(ctx: ScenarioContext, expected: Record<string, Range>): Promise<SetupTruth['firewall']> {
  const out: SetupTruth['firewall'] = {};
  for (const [name, range] of Object.entries(expected)) out[name] = { expected: range, measured: await firewallCounter(ctx.topo, name) };
  return out;
}

/** One group with the usual defaults: the lab's server, every connection seen at both edges. */
export function group(ctx: ScenarioContext, g: Partial<SetupGroup> & Pick<SetupGroup, 'role' | 'kind' | 'ports'>): SetupGroup {
  return {
    client: ctx.addr.client,
    server: { addr: ctx.addr.server, port: LAB_PORT },
    fromMs: null,
    wrongKinds: [],
    synRetransmissions: { client: exact(0), server: exact(0) },
    synAckRetransmissions: { client: exact(0), server: exact(0) },
    completes: { client: true, server: true },
    setupS: { client: null, server: null },
    clientError: null,
    ...g,
  };
}

/** A client's first socket error per connection, in connection order. */
export function errorsByConn(h: EndpointHandle): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of h.all('error')) if (!out.has(e.conn)) out.set(e.conn, e.code);
  return out;
}

/** One sysctl's value inside a namespace. */
export async function readSysctl(ns: string, name: string): Promise<number> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'sysctl', '-n', name]);
  return Number(stdout.trim());
}

/**
 * Since Linux 6.x (tcp_syn_linear_timeouts, default 4) the first SYN
 * retries come 1 s apart instead of doubling (1 s, 2 s, 4 s …). The
 * scenarios that count SYN retries and set-up times want the classic
 * back-off every kernel has: this turns the linear part off where it exists.
 */
export async function classicSynBackoff(ns: string): Promise<string[]> {
  try {
    await run('ip', ['netns', 'exec', ns, 'test', '-e', '/proc/sys/net/ipv4/tcp_syn_linear_timeouts']);
  } catch {
    return [];
  }
  const setting = 'net.ipv4.tcp_syn_linear_timeouts=0';
  await sysctl(ns, setting);
  return [setting];
}

/**
 * One client connects (with `opts`) and must fail with `code` within
 * `timeoutMs`: its error event, and the kernel counters moved meanwhile.
 */
export async function failedConnect(
  ctx: ScenarioContext,
  code: string,
  timeoutMs: number,
  opts: ClientOptions = {},
): Promise<{ error: EventOf<'error'>; counters: Snapshot }> {
  const before = await snapshot(ctx);
  const client = startClient(ctx, 'client', opts);
  const error = await client.waitFor('error', timeoutMs);
  expectError('the client', error, code);
  return { error, counters: await movedSince(ctx, before) };
}

/** The server's listener and its half-open connections as its kernel shows them now, and the counters moved since `before`. */
export async function readServerQueues(
  ctx: ScenarioContext,
  before: Snapshot,
): Promise<{ local: AddrPort; listener: ListenerFigures | null; halfOpen: number[]; counters: Snapshot }> {
  const local = { addr: ctx.addr.server, port: LAB_PORT };
  const listener = await readListener(ctx.topo.ns.server, local);
  const halfOpen = await synRecvPorts(ctx.topo.ns.server, local);
  const counters = await movedSince(ctx, before);
  return { local, listener, halfOpen, counters };
}

/** A set-up scenario's result: no keepalive and no tracked connections, only its set-up truth. */
export function setupResult(setup: SetupTruth, notes: string[] = []): ScenarioResult {
  return { keepalive: { client: null, server: null }, connections: [], notes, setup };
}

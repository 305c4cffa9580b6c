/**
 * What a namespace's kernel says about set-up, read with kad's own parsers:
 * its TCP counters (/proc/net/netstat and /proc/net/snmp) and its listeners
 * (ss rows of LISTEN and SYN-RECV sockets).
 */
import { counterDeltas, parseCounterPairs, type CounterValues } from '../../src/sockets/kernel-counters.js';
import { fileURLToPath } from 'node:url';
import type { ListenerRead } from '../../src/sockets/listeners.js';
import { parseSsOutput } from '../../src/sockets/ss-parse.js';
import type { AddrPort } from '../endpoint-protocol.js';
import { run } from '../exec.js';
import type { ListenerFigures } from './setup-truth.js';

/** Every TcpExt and Tcp counter of the namespace, by its kernel name (they do not collide). */
export async function readCounters(ns: string): Promise<CounterValues> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'cat', '/proc/net/netstat', '/proc/net/snmp']);
  const out: CounterValues = {};
  for (const [key, v] of parseCounterPairs(stdout)) {
    const [group, name] = key.split('.');
    if ((group === 'TcpExt' || group === 'Tcp') && name) out[name] = v;
  }
  return out;
}

/** Counters that moved between two reads. */
export function moved(before: CounterValues, after: CounterValues): CounterValues {
  const out: CounterValues = {};
  for (const [k, v] of Object.entries(counterDeltas(before, after))) if (v !== 0) out[k] = v;
  return out;
}

const LISTENERS_JS = fileURLToPath(new URL('../../src/sockets/listeners.js', import.meta.url));

/**
 * The listener on `local` as kad reads it (readListeners: kad-sockdiag, else
 * ss, else /proc), run inside the namespace: listener figures are per
 * namespace, like the counters.
 */
export async function readListener(ns: string, local: AddrPort): Promise<ListenerFigures | null> {
  const script = `import(${JSON.stringify(LISTENERS_JS)}).then((m) => m.readListeners()).then((r) => process.stdout.write(JSON.stringify(r)))`;
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script]);
  const read = JSON.parse(stdout) as ListenerRead;
  const l = read.listeners.find((x) => x.local.addr === local.addr && x.local.port === local.port);
  return l ? { queue: l.queue, backlog: l.backlog, synRecv: l.synRecv, source: read.source } : null;
}

/** Client ports of the half-open (SYN-RECV) connections to `local`: the kernel's own list of unfinished handshakes. */
export async function synRecvPorts(ns: string, local: AddrPort): Promise<number[]> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'ss', '-H', '-t', '-n', '-a']);
  return parseSsOutput(stdout)
    .filter((s) => s.state === 'SYN_RECV' && s.local.addr === local.addr && s.local.port === local.port)
    .map((s) => s.peer.port)
    .sort((a, b) => a - b);
}

/**
 * One TCP endpoint of a lab scenario, run inside a namespace with
 * `ip netns exec NS node endpoint.js --role client|server --addr A --port P [--echo]`.
 * It does nothing on its own beyond connecting/accepting (and echoing, for
 * the server): every other action comes from the lab as a command, so the
 * scenario's timeline lives in one place.
 *
 * Set-up scenarios also need: a server's listen() backlog (--backlog), a
 * client that opens many connections at once (--connections) from a given
 * address (--local-addr) or a fixed source port (--local-port; libuv binds
 * with SO_REUSEADDR, so a port whose socket was just aborted can be reused).
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { AddrPort, EndpointCommand, EndpointEvent } from './endpoint-protocol.js';

type Payload<E> = E extends { t: number } ? Omit<E, 't'> : never;

function emit(e: Payload<EndpointEvent>): void {
  process.stdout.write(`${JSON.stringify({ ...e, t: Date.now() })}\n`);
}

function here(s: net.Socket): AddrPort {
  return { addr: s.localAddress ?? '', port: s.localPort ?? 0 };
}

function there(s: net.Socket): AddrPort {
  return { addr: s.remoteAddress ?? '', port: s.remotePort ?? 0 };
}

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    addr: { type: 'string' },
    port: { type: 'string' },
    echo: { type: 'boolean', default: false },
    backlog: { type: 'string' },
    connections: { type: 'string', default: '1' },
    'local-addr': { type: 'string' },
    'local-port': { type: 'string' },
    // Unused here; it names the lab run in `ps` so leftovers can be traced to it.
    lab: { type: 'string' },
  },
});
const port = Number(values.port);
const sockets: net.Socket[] = [];

function watch(s: net.Socket, conn: number): void {
  sockets[conn] = s;
  s.setNoDelay(true);
  s.on('data', (buf) => {
    emit({ ev: 'data', conn, bytes: buf.length });
    if (values.echo) {
      s.write(buf);
      emit({ ev: 'wrote', conn, bytes: buf.length });
    }
  });
  s.on('end', () => emit({ ev: 'peer-end', conn }));
  s.on('error', (err: NodeJS.ErrnoException) => emit({ ev: 'error', conn, code: err.code ?? err.message }));
  s.on('close', (hadError) => emit({ ev: 'close', conn, hadError }));
}

/** Blocks the event loop: nothing is accepted, read or written meanwhile. */
function stall(ms: number): void {
  emit({ ev: 'stalled', ms });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function act(cmd: EndpointCommand): void {
  if (cmd.op === 'stall') {
    stall(cmd.ms);
    return;
  }
  const conn = cmd.conn ?? sockets.length - 1;
  const s = sockets[conn];
  if (!s) {
    emit({ ev: 'fatal', message: `no connection ${conn} for ${cmd.op}` });
    return;
  }
  switch (cmd.op) {
    case 'keepalive':
      s.setKeepAlive(true, cmd.ms);
      emit({ ev: 'keepalive-set', conn, ms: cmd.ms });
      break;
    case 'write':
      s.write(cmd.text);
      emit({ ev: 'wrote', conn, bytes: Buffer.byteLength(cmd.text) });
      break;
    case 'end':
      s.end();
      break;
    case 'abort':
      s.resetAndDestroy();
      emit({ ev: 'aborted', conn });
      break;
  }
}

function connectAll(count: number): void {
  const localAddress = values['local-addr'];
  const localPort = values['local-port'] === undefined ? undefined : Number(values['local-port']);
  for (let conn = 0; conn < count; conn++) {
    const s = net.connect({ host: values.addr, port, localAddress, localPort }, () =>
      emit({ ev: 'connected', conn, local: here(s), remote: there(s) }),
    );
    watch(s, conn);
  }
  // net.connect makes its connect() call on the next tick, so this runs after all of them.
  setImmediate(() => emit({ ev: 'connecting', count }));
}

if (values.role === 'server') {
  const server = net.createServer({ allowHalfOpen: false }, (s) => {
    const conn = sockets.length;
    emit({ ev: 'accepted', conn, local: here(s), remote: there(s) });
    watch(s, conn);
  });
  server.on('error', (err) => emit({ ev: 'fatal', message: err.message }));
  const backlog = values.backlog === undefined ? undefined : Number(values.backlog);
  server.listen({ host: values.addr, port, exclusive: true, backlog }, () => {
    const a = server.address() as net.AddressInfo;
    emit({ ev: 'listening', local: { addr: a.address, port: a.port } });
  });
} else if (values.role === 'client') {
  connectAll(Number(values.connections));
} else {
  emit({ ev: 'fatal', message: `unknown role ${String(values.role)}` });
  process.exit(2);
}

// The lab holds our stdin: when it goes away (even killed outright) we go too.
createInterface({ input: process.stdin })
  .on('line', (line) => act(JSON.parse(line) as EndpointCommand))
  .on('close', () => process.exit(0));

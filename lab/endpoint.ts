/**
 * One TCP endpoint of a lab scenario, run inside a namespace with
 * `ip netns exec NS node endpoint.js --role client|server --addr A --port P [--echo]`.
 * It does nothing on its own beyond connecting/accepting (and echoing, for
 * the server): every other action comes from the lab as a command, so the
 * scenario's timeline lives in one place.
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
    // Unused here; it names the lab run in `ps` so leftovers can be traced to it.
    lab: { type: 'string' },
  },
});
const port = Number(values.port);
let socket: net.Socket | null = null;

function watch(s: net.Socket): void {
  socket = s;
  s.setNoDelay(true);
  s.on('data', (buf) => {
    emit({ ev: 'data', bytes: buf.length });
    if (values.echo) {
      s.write(buf);
      emit({ ev: 'wrote', bytes: buf.length });
    }
  });
  s.on('end', () => emit({ ev: 'peer-end' }));
  s.on('error', (err: NodeJS.ErrnoException) => emit({ ev: 'error', code: err.code ?? err.message }));
  s.on('close', (hadError) => emit({ ev: 'close', hadError }));
}

function act(cmd: EndpointCommand): void {
  const s = socket;
  if (!s) {
    emit({ ev: 'fatal', message: `no connection for ${cmd.op}` });
    return;
  }
  switch (cmd.op) {
    case 'keepalive':
      s.setKeepAlive(true, cmd.ms);
      emit({ ev: 'keepalive-set', ms: cmd.ms });
      break;
    case 'write':
      s.write(cmd.text);
      emit({ ev: 'wrote', bytes: Buffer.byteLength(cmd.text) });
      break;
    case 'end':
      s.end();
      break;
    case 'abort':
      s.resetAndDestroy();
      emit({ ev: 'aborted' });
      break;
  }
}

if (values.role === 'server') {
  const server = net.createServer({ allowHalfOpen: false }, (s) => {
    emit({ ev: 'accepted', local: here(s), remote: there(s) });
    watch(s);
  });
  server.on('error', (err) => emit({ ev: 'fatal', message: err.message }));
  server.listen({ host: values.addr, port, exclusive: true }, () => {
    const a = server.address() as net.AddressInfo;
    emit({ ev: 'listening', local: { addr: a.address, port: a.port } });
  });
} else if (values.role === 'client') {
  const s = net.connect({ host: values.addr, port }, () => emit({ ev: 'connected', local: here(s), remote: there(s) }));
  watch(s);
} else {
  emit({ ev: 'fatal', message: `unknown role ${String(values.role)}` });
  process.exit(2);
}

// The lab holds our stdin: when it goes away (even killed outright) we go too.
createInterface({ input: process.stdin })
  .on('line', (line) => act(JSON.parse(line) as EndpointCommand))
  .on('close', () => process.exit(0));

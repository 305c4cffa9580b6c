import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../model/errors.js';
import type { LiveModel, LiveSnapshot } from '../live/live-model.js';
import type { ResetVerdict, SilentDropVerdict } from '../model/analysis-report.js';
import { connectionReport } from '../report/build-file-report.js';
import { CaptureClock } from '../sockets/at-risk.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { endpointText } from '../util/ip-text.js';
import { KadMetrics } from './kad-metrics.js';
import { parseListen } from './listen-address.js';
import type { StatedTimeout } from '../sockets/at-risk.js';
import type { ListenerHealth } from '../sockets/listeners.js';
import { createProcSource, defaultRoots } from '../sockets/proc-source.js';

export interface MetricsServer {
  close(): Promise<void>;
  /** Where to scrape, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
  /** The latest annotated socket table, when the caller reads one: its facts count towards the at-risk gauge. */
  sockets(list: readonly SocketInfo[]): void;
  /** kad watch --kernel: an application got ECONNRESET or ETIMEDOUT on a connection to this server endpoint. */
  kernelError(path: string, errno: 'ECONNRESET' | 'ETIMEDOUT'): void;
  /** kad watch --sockets: every listener's health. */
  listeners(list: readonly ListenerHealth[]): void;
}

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>keepalive-doctor</title></head>
<body><h1>keepalive-doctor</h1><p><a href="/metrics">/metrics</a>: Prometheus exposition of resets by attribution, keepalive probes, connections at risk and inferred idle timeouts.</p></body></html>
`;

/**
 * Serves the model's metrics on `listen` ([HOST]:PORT) until closed. Resolves
 * once the port is bound, so a caller can print the URL and know it works.
 */
export async function startMetricsServer(
  model: LiveModel,
  listen: string,
  opts: { idleTimeoutS?: StatedTimeout; maxPaths?: number; hostCounters?: boolean } = {},
): Promise<MetricsServer> {
  const where = parseListen(listen);
  const metrics = new KadMetrics({
    clock: new CaptureClock(model.feed),
    idleTimeoutS: opts.idleTimeoutS,
    maxPaths: opts.maxPaths,
    // The kernel's counters are this host's now: not for a recorded capture.
    hostCounters: opts.hostCounters ? createProcSource(defaultRoots()) : undefined,
  });
  // A verdict names its connection by number; the tracker knows which server that is.
  const pathOf = (conn: number): string => {
    const t = model.pipeline.tracker;
    const c = t.store.indexOfId(conn);
    return c < 0 ? 'unknown' : endpointText(connectionReport(t, c).server);
  };
  const onReset = (v: ResetVerdict): void => metrics.onReset(v, pathOf(v.conn));
  const onDrop = (v: SilentDropVerdict): void => metrics.onSilentDrop(v, pathOf(v.conn));
  const onSnapshot = (s: LiveSnapshot): void => metrics.onSnapshot(s);
  const onEnd = (): void => metrics.onEnd();
  if (model.latest) metrics.onSnapshot(model.latest);
  model.on('reset', onReset);
  model.on('silentDrop', onDrop);
  model.on('snapshot', onSnapshot);
  model.on('end', onEnd);

  const server = createServer((req, res) => void respond(metrics, req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where.port, where.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    model.off('reset', onReset);
    model.off('silentDrop', onDrop);
    model.off('snapshot', onSnapshot);
    model.off('end', onEnd);
    const e = err as NodeJS.ErrnoException;
    throw new UserError(
      `cannot serve metrics on ${listen}: ${e.code ?? ''} ${e.message.replace(/^listen \w+:?\s*/, '')}`.replace(/\s+/g, ' ').trim(),
    );
  }
  const bound = server.address() as AddressInfo;
  return {
    sockets: (list) => metrics.onSockets(list),
    kernelError: (path, errno) => metrics.onKernelError(path, errno),
    listeners: (list) => metrics.onListeners(list),
    url: `http://${endpointText({ addr: urlHost(bound.address), port: bound.port })}/metrics`,
    close: async () => {
      model.off('reset', onReset);
      model.off('silentDrop', onDrop);
      model.off('snapshot', onSnapshot);
      model.off('end', onEnd);
      // Prometheus keeps its scrape connection alive; without this close() would wait for it.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function respond(metrics: KadMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    try {
      const body = await metrics.exposition();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
    }
    return;
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : INDEX);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
}

/** A wildcard bind is reachable on the loopback. */
function urlHost(address: string): string {
  return address === '::' || address === '0.0.0.0' ? 'localhost' : address;
}

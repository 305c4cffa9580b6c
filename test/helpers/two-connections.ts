import type { TcpSpec } from './capture-builder.js';
import { TcpScript } from './tcp-script.js';

export const T0 = 1_700_000_000_123_456_789n;
const SERVER = { addr: '198.51.100.10', port: 5432 };

/** Two clients of a database: one reset after idling, one healthy with answered keepalives. */
export function twoConnections(): TcpSpec[] {
  const pkts: TcpSpec[] = [];
  const a = new TcpScript({ addr: '192.0.2.10', port: 40000 }, SERVER, [1000, 5000], T0, pkts);
  a.ttl = [63, 64];
  a.handshake().send(0, 10).ack(1).wait(400).keepalive(1).rst(0, { ttl: 64 });
  const b = new TcpScript({ addr: '192.0.2.11', port: 40001 }, { addr: '198.51.100.10', port: 6379 }, [7, 9], T0 + 5000n, pkts);
  b.handshake().send(0, 10).ack(1).wait(300).keepalive(0).ack(1).fin(0).fin(1).ack(0);
  return pkts.sort((x, y) => (x.tsNs < y.tsNs ? -1 : x.tsNs > y.tsNs ? 1 : 0));
}

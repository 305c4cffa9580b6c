import type { TcpSpec } from './capture-builder.js';
import { TcpScript } from './tcp-script.js';

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const DB = { addr: '198.51.100.10', port: 5432 };

/** The capture's last packet, seconds after T0: replayed at max speed, "now" stops here. */
export const CROWD_END_S = 200;
/** Judge it with --idle-timeout 30s: silences of 24 s and more are at risk (src/sockets/at-risk.ts). */
export const CROWD_TIMEOUT_S = 30;

/**
 * Eleven connections to one database, the mix a terminal must fit:
 * - four closed with FINs in the first seconds (long enough ago to fold into the closed group);
 * - one reset by a middlebox at 180 s (closed, recent: stays in the list, below the live at-risk ones);
 * - three open, silent since 170 s (29 s of a 30 s timeout at the end: at risk);
 * - two open and busy until the end (ok);
 * - an IPv6 client of the database's IPv6 address, open and busy.
 */
export function crowd(): TcpSpec[] {
  const pkts: TcpSpec[] = [];
  const at = (s: number) => T0 + BigInt(s) * S;
  for (let i = 0; i < 4; i++) {
    new TcpScript({ addr: `10.0.1.${20 + i}`, port: 43680 + i }, DB, [1000, 5000], at(i), pkts)
      .handshake()
      .send(0, 10)
      .ack(1)
      .fin(0)
      .fin(1)
      .ack(0);
  }
  const reset = new TcpScript({ addr: '10.0.1.30', port: 43690 }, DB, [1000, 5000], at(150), pkts);
  reset.ttl = [63, 64];
  reset.handshake().send(0, 10).ack(1).wait(30).keepalive(1).rst(0, { ttl: 64 });
  for (let i = 0; i < 3; i++) {
    new TcpScript({ addr: `10.0.1.${40 + i}`, port: 43700 + i }, DB, [1000, 5000], at(160 + i), pkts)
      .handshake()
      .wait(10 - i)
      .send(0, 10)
      .ack(1);
  }
  const busy = (client: { addr: string; port: number }, start: number, server = DB) => {
    const s = new TcpScript(client, server, [1000, 5000], at(start), pkts).handshake();
    for (let t = start + 10; t < CROWD_END_S; t += 10) s.wait(10).send(0, 10).ack(1);
  };
  busy({ addr: '10.0.1.50', port: 43710 }, 5);
  busy({ addr: '10.0.1.51', port: 43711 }, 9);
  busy({ addr: '2001:db8:4000::1:77', port: 43712 }, 7, { addr: '2001:db8::10', port: 5432 });
  return pkts.sort((x, y) => (x.tsNs < y.tsNs ? -1 : x.tsNs > y.tsNs ? 1 : 0));
}

import { UserError } from '../model/errors.js';

export interface ListenAddress {
  /** undefined: every address of the host (Node then binds `::`, dual-stack, or 0.0.0.0). */
  host: string | undefined;
  port: number;
}

/**
 * ":9464", "9464", "127.0.0.1:9464", "[::1]:9464", "localhost:9464".
 * The Prometheus convention (`--web.listen-address`) is followed so the
 * same value can be copied between exporters.
 */
export function parseListen(text: string): ListenAddress {
  const t = text.trim();
  let host: string | undefined;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1];
    portText = v6[2]!;
  } else if (/^\d+$/.test(t)) {
    portText = t;
  } else {
    const colon = t.lastIndexOf(':');
    // A bare IPv6 address has several colons: without brackets its port cannot be told apart.
    if (colon < 0 || t.indexOf(':') !== colon) throw badListen(text);
    host = t.slice(0, colon) || undefined;
    portText = t.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) throw badListen(text);
  const port = Number(portText);
  if (port > 65535) throw badListen(text);
  return { host, port };
}

function badListen(text: string): UserError {
  return new UserError(`--metrics wants [HOST]:PORT, e.g. :9464, 127.0.0.1:9464 or [::1]:9464; got "${text}"`);
}

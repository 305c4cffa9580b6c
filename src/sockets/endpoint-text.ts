import { addressText, parseAddress } from '../util/ip-text.js';
import type { SocketEndpoint } from './socket-types.js';

/**
 * One spelling per address, the one connection reports use (dotted quad,
 * RFC 5952), so sockets and captured flows compare as strings. A v4-mapped
 * IPv6 address becomes plain IPv4: on the wire those packets are IPv4.
 */
export function normalizeAddress(text: string): { family: 4 | 6; addr: string } | null {
  const a = parseAddress(embeddedV4ToHex(text.toLowerCase()));
  if (!a) return null;
  if (!a.ipv6) return { family: 4, addr: addressText(a.words, 0, false) };
  if (a.words[0] === 0 && a.words[1] === 0 && a.words[2] === 0xffff) return { family: 4, addr: addressText(a.words, 3, false) };
  return { family: 6, addr: addressText(a.words, 0, true) };
}

/** "::ffff:192.0.2.1" → "::ffff:c000:201": ss prints mapped addresses with a dotted tail. */
function embeddedV4ToHex(text: string): string {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return text;
  const b = m.slice(2, 6).map(Number);
  if (b.some((x) => x > 255)) return text;
  return `${m[1]}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
}

/**
 * ss's "addr:port": "127.0.0.1:22", "[::1]:22", "[fe80::1]%eth0:22",
 * "10.0.0.1%lo:53", "*:*". Null for wildcards and anything unparsable.
 */
export function parseSsEndpoint(text: string): SocketEndpoint | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return null;
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  let host = text.slice(0, colon);
  const pct = host.indexOf('%');
  if (pct >= 0) host = host.slice(0, pct);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const a = normalizeAddress(host);
  return a ? { family: a.family, addr: a.addr, port } : null;
}

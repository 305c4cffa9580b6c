/**
 * An address:port in `width` columns. The port is kept whole (it names the
 * service or the client's socket), then as much of the address's end as
 * fits, from a group boundary: addresses on one screen mostly share their
 * network prefix, so the end is what tells them apart ("…1.43:43688",
 * "…:4000::1:77]:43712"). The result is padded to `width`.
 */
export function abbreviateEndpoint(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text.padEnd(width);
  const colon = text.lastIndexOf(':');
  const port = colon > 0 ? text.slice(colon) : '';
  const addr = colon > 0 ? text.slice(0, colon) : text;
  const room = width - port.length - 1; // one for '…'
  if (room < 1) return port.length + 1 <= width ? `…${port}`.padEnd(width) : `…${text.slice(text.length - width + 1)}`;
  let tail = addr.slice(addr.length - room);
  // Start at a group boundary unless that leaves nothing: "…2.10", not "….2.10" or "…92.0.2.10" cut mid-octet.
  const cutInside = !/[.:[]/.test(addr[addr.length - room - 1] ?? '.');
  const next = tail.search(/[.:]/);
  if (cutInside && next >= 0 && next < tail.length - 1) tail = tail.slice(next + 1);
  else if (/^[.:]/.test(tail) && tail.length > 1) tail = tail.slice(1);
  return `…${tail}${port}`.padEnd(width);
}

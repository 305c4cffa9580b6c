/**
 * Splits an IP packet into fragments as RFC 791 (IPv4) and RFC 8200 (IPv6, a
 * fragment header after the fixed header) lay them out, for tests of kad's
 * fragment handling against tshark's reassembly. `firstBytes` is the first
 * fragment's payload size (a multiple of 8); the rest go in pieces of `restBytes`.
 */

function ipv4Checksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function pieces(payload: Buffer, firstBytes: number, restBytes: number): Array<{ offset: number; data: Buffer; more: boolean }> {
  const out: Array<{ offset: number; data: Buffer; more: boolean }> = [];
  for (let at = 0; at < payload.length;) {
    const n = Math.min(at === 0 ? firstBytes : restBytes, payload.length - at);
    out.push({ offset: at, data: payload.subarray(at, at + n), more: at + n < payload.length });
    at += n;
  }
  return out;
}

/** `id`: the datagram's identification (IPv4: the header's own when omitted). */
export function fragmentIp(ip: Buffer, firstBytes: number, restBytes = 64, id?: number): Buffer[] {
  if (firstBytes % 8 || restBytes % 8) throw new Error('fragment payloads are multiples of 8 bytes');
  if (ip[0]! >> 4 === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    return pieces(ip.subarray(ihl), firstBytes, restBytes).map((p) => {
      const h = Buffer.from(ip.subarray(0, ihl));
      h.writeUInt16BE(ihl + p.data.length, 2);
      if (id !== undefined) h.writeUInt16BE(id & 0xffff, 4);
      h.writeUInt16BE((p.more ? 0x2000 : 0) | (p.offset / 8), 6);
      h.writeUInt16BE(0, 10);
      h.writeUInt16BE(ipv4Checksum(h), 10);
      return Buffer.concat([h, p.data]);
    });
  }
  const next = ip[6]!;
  return pieces(ip.subarray(40), firstBytes, restBytes).map((p) => {
    const h = Buffer.from(ip.subarray(0, 40));
    h[6] = 44;
    h.writeUInt16BE(8 + p.data.length, 4);
    const f = Buffer.alloc(8);
    f[0] = next;
    f.writeUInt16BE(p.offset | (p.more ? 1 : 0), 2);
    f.writeUInt32BE(id ?? 0x1234, 4);
    return Buffer.concat([h, f, p.data]);
  });
}

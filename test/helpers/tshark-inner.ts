import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * tshark's reading of the innermost TCP/IP header of each TCP packet, for
 * captures where TCP sits inside tunnels (one value per IP header for each
 * repeated field: the last is the TCP's own).
 */

const LETTERS: Array<[number, string]> = [
  [0x02, 'S'],
  [0x01, 'F'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, 'A'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'C'],
];

/** tcpdump's flag letters, as kad's --events writes them. */
export const flagLetters = (flags: number) =>
  LETTERS.filter(([bit]) => flags & bit)
    .map(([, l]) => l)
    .join('');

const innermost = (v: string | undefined) => (v ?? '').split(',').pop() ?? '';

export interface InnerPacket {
  src: string;
  dst: string;
  seq: number;
  flags: string;
  len: number;
}

/** Keyed by frame number; `v6`: the inner IP version; `decodeAs`: tshark -d rules for ports it does not know. */
export function tsharkInner(file: string, v6: boolean, decodeAs: readonly string[] = []): Map<number, InnerPacket> {
  const ip = v6 ? 'ipv6' : 'ip';
  const fields = ['frame.number', `${ip}.src`, `${ip}.dst`, 'tcp.seq_raw', 'tcp.flags', 'tcp.len'];
  const args = ['-n', '-r', file, ...decodeAs.flatMap((d) => ['-d', d]), '-Y', 'tcp', '-T', 'fields', '-E', 'separator=/t'];
  const r = spawnSync('tshark', [...args, ...fields.flatMap((f) => ['-e', f])], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  const out = new Map<number, InnerPacket>();
  for (const line of r.stdout.toString().split('\n').filter(Boolean)) {
    const v = line.split('\t');
    out.set(Number(v[0]), {
      src: innermost(v[1]),
      dst: innermost(v[2]),
      seq: Number(v[3]),
      flags: flagLetters(Number(v[4])),
      len: Number(v[5]),
    });
  }
  return out;
}

/** The same fields of one line of kad's --events. */
export const innerOf = (e: Record<string, unknown>) => ({ src: e.src, dst: e.dst, seq: e.seq, flags: e.flags, len: e.len });

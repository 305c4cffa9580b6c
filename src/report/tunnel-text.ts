import type { TunnelKind, TunnelReport, TunnelTally } from '../model/analysis-report.js';

/** What each tunnel's id is called in its own specification. */
const ID_NAME: Record<TunnelKind, string> = {
  vxlan: 'VNI',
  geneve: 'VNI',
  gre: 'key',
  'erspan-1': 'key',
  'erspan-2': 'session',
  'erspan-3': 'session',
  mpls: 'label',
  pppoe: 'session',
  'gtp-u': 'TEID',
  'ip-in-ip': '',
  nflog: 'group',
};

function packets(n: number): string {
  return `${n} TCP packet${n === 1 ? '' : 's'}`;
}

/** `vxlan VNI 42 192.0.2.1 → 192.0.2.2: 120 TCP packets`. */
export function tunnelText(t: TunnelReport): string {
  const parts: string[] = [t.kind];
  if (t.id !== null) parts.push(`${ID_NAME[t.kind]} ${t.kind === 'gtp-u' ? `0x${t.id.toString(16).padStart(8, '0')}` : t.id}`);
  if (t.prefix) parts.push(JSON.stringify(t.prefix));
  if (t.outerSrc !== null) parts.push(`${t.outerSrc} → ${t.outerDst}`);
  return `${parts.join(' ')}: ${packets(t.packets)}`;
}

/** The tunnel line's items, or none when no TCP came through a tunnel. */
export function tunnelTexts(tally: TunnelTally): string[] {
  const out = tally.listed.map(tunnelText);
  if (tally.otherPackets > 0) out.push(`other tunnels: ${packets(tally.otherPackets)}`);
  return out;
}

/** Why some packets' lengths were not taken from their IP header, or null. */
export function lengthBeyondFrameText(n: number): string | null {
  if (n === 0) return null;
  return `${packets(n)} with an IP length beyond the frame (not cut by the snaplen): decoded from the frame's own bytes`;
}

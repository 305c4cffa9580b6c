import type { TunnelKind, TunnelReport, TunnelTally } from '../model/analysis-report.js';
import { addressText } from '../util/ip-text.js';
import * as L from './decode-tally-layout.js';

const KINDS: Record<number, TunnelKind> = {
  [L.T_VXLAN]: 'vxlan',
  [L.T_GENEVE]: 'geneve',
  [L.T_GRE]: 'gre',
  [L.T_ERSPAN1]: 'erspan-1',
  [L.T_ERSPAN2]: 'erspan-2',
  [L.T_ERSPAN3]: 'erspan-3',
  [L.T_MPLS]: 'mpls',
  [L.T_PPPOE]: 'pppoe',
  [L.T_GTPU]: 'gtp-u',
  [L.T_IPIP]: 'ip-in-ip',
  [L.T_NFLOG]: 'nflog',
};

/** What the decoder tallied over a capture (src/wasm/decode-tally.ts). */
export interface DecodeTally {
  tunnels: TunnelTally;
  ipLengthBeyondFrame: number;
}

function address(bytes: Uint8Array, version: number): string {
  const words = new Uint32Array(4);
  for (let k = 0; k < (version === 4 ? 1 : 4); k++) {
    words[k] = ((bytes[4 * k]! << 24) | (bytes[4 * k + 1]! << 16) | (bytes[4 * k + 2]! << 8) | bytes[4 * k + 3]!) >>> 0;
  }
  return addressText(words, 0, version === 6);
}

/** Reads the tally region at `at` of the tracker's memory. */
export function readDecodeTally(buffer: ArrayBufferLike, at: number): DecodeTally {
  const view = new DataView(buffer, at, L.TALLY_BYTES);
  const bytes = new Uint8Array(buffer, at, L.TALLY_BYTES);
  const listed: TunnelReport[] = [];
  const count = Math.min(view.getUint32(L.TALLY_COUNT, true), L.TALLY_MAX);
  for (let k = 0; k < count; k++) {
    const e = L.TALLY_ENTRIES + k * L.TE_BYTES;
    const version = bytes[e + L.TE_IPVER]!;
    const hasIp = version === 4 || version === 6;
    const prefixLen = bytes[e + L.TE_PREFIX_LEN]!;
    const kind = KINDS[bytes[e + L.TE_KIND]!];
    if (kind === undefined) continue;
    listed.push({
      kind,
      id: bytes[e + L.TE_HAS_ID] ? view.getUint32(e + L.TE_ID, true) : null,
      outerSrc: hasIp ? address(bytes.subarray(e + L.TE_SRC, e + L.TE_SRC + 16), version) : null,
      outerDst: hasIp ? address(bytes.subarray(e + L.TE_DST, e + L.TE_DST + 16), version) : null,
      prefix: kind === 'nflog' ? Buffer.from(bytes.subarray(e + L.TE_PREFIX, e + L.TE_PREFIX + prefixLen)).toString('latin1') : null,
      packets: view.getUint32(e + L.TE_PACKETS, true),
    });
  }
  return {
    tunnels: { listed, otherPackets: view.getUint32(L.TALLY_OTHER, true) },
    ipLengthBeyondFrame: view.getUint32(L.TALLY_LENGTH_BEYOND_FRAME, true),
  };
}

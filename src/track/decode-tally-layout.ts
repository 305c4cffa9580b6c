/**
 * The decoder's per-capture tally (src/wasm/decode-tally.ts writes it,
 * track/decode-tally.ts reads it): the tunnels TCP arrived through, and the
 * packets whose IP length claimed more than their frame held. Byte offsets;
 * constants only: src/wasm/ compiles this file too.
 */

/** Tunnel kinds (0: the packet came through none). */
export const T_VXLAN = 1;
export const T_GENEVE = 2;
export const T_GRE = 3;
export const T_ERSPAN1 = 4;
export const T_ERSPAN2 = 5;
export const T_ERSPAN3 = 6;
export const T_MPLS = 7;
export const T_PPPOE = 8;
export const T_GTPU = 9;
export const T_IPIP = 10;
export const T_NFLOG = 11;

/** Distinct tunnels listed; packets of any further ones are only counted (TALLY_OTHER). */
export const TALLY_MAX = 16;
export const TALLY_COUNT = 0; // u32: entries in use
export const TALLY_OTHER = 4; // u32: TCP packets through tunnels beyond TALLY_MAX
export const TALLY_LENGTH_BEYOND_FRAME = 8; // u32: TCP packets whose IP length exceeded the frame (not the snaplen's doing)
export const TALLY_ENTRIES = 16;

export const TE_PACKETS = 0; // u32
export const TE_KIND = 4; // u8: T_*
export const TE_IPVER = 5; // u8: the outer IP header's version, 0 when the tunnel had none (MPLS, PPPoE, NFLOG)
export const TE_HAS_ID = 6; // u8: 0/1
export const TE_PREFIX_LEN = 7; // u8
export const TE_ID = 8; // u32: VNI, GRE key, ERSPAN session, MPLS label, PPPoE session, TEID, NFLOG group
export const TE_SRC = 12; // 16 bytes as on the wire; IPv4 uses the first 4
export const TE_DST = 28; // 16 bytes
/** NFLOG: the rule's log prefix, cut to TE_PREFIX_MAX bytes. */
export const TE_PREFIX = 44;
export const TE_PREFIX_MAX = 52;
export const TE_BYTES = 96;

export const TALLY_BYTES = TALLY_ENTRIES + TALLY_MAX * TE_BYTES;

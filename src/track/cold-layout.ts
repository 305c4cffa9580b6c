/**
 * Layout of a connection's cold entry: counts that few connections ever
 * need, kept out of the record so that a million connections do not each pay
 * for them. An entry is taken on the first write of any of its fields and
 * named by the record's W_COLD; a field of a connection without one reads as
 * 0. Like record-layout.ts, plain constants that the WebAssembly tracker
 * compiles too, described in layout-fields.ts.
 */

export const COLD_BYTES = 48;
export const COLD_STRIDE32 = COLD_BYTES / 4;
export const COLD_STRIDE16 = COLD_BYTES / 2;
export const COLD_STRIDE8 = COLD_BYTES;

/** Zero-window probes. While the entry is free, its first word links the next free one. */
export const CW_ZWPS = 0; // bytes 0..7, +d
/** Bits 32 and up of the record's W_BYTES and W_PAYLOAD: more than 4 GiB in one direction. */
export const CW_BYTES_HIGH = 2; // bytes 8..15, +d
export const CW_PAYLOAD_HIGH = 4; // bytes 16..23, +d
export const CH_RSTS = 12; // bytes 24..27, +d, saturating at 65535
/** Bits 16 and up of the record's H_KEEPALIVES, H_KEEPALIVE_ACKS and H_RETRANS (u32 counts in all). */
export const CH_KEEPALIVES_HIGH = 14; // bytes 28..31, +d
export const CH_KEEPALIVE_ACKS_HIGH = 16; // bytes 32..35, +d
export const CH_RETRANS_HIGH = 18; // bytes 36..39, +d
/** Sequence holes (segments the capture missed), saturating at 65535: past that the number says no more. */
export const CH_GAPS = 20; // bytes 40..41
/** Frames that were a second copy of the packet before them (K_DUPLICATE), saturating at 65535: counted here, nowhere else. */
export const CH_DUPLICATES = 21; // bytes 42..43
/** Data segments sent after the connection's first RST (saturates at 255): the real host kept talking. */
export const CB_DATA_AFTER_RST = 44; // +d
/** SYNs (d = 0) and SYN-ACKs (d = 1) sent again for the same initial sequence number; saturates at 255. */
export const CB_SYN_RETRIES = 46; // +d

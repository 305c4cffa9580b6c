/**
 * Layout of an IPv6 connection's address entry: its two addresses, out of
 * the record, which keeps 8 bytes for IPv4's two (most connections) and, for
 * IPv6, the entry + 1 in W_ADDR's first word. Plain constants that the
 * WebAssembly tracker compiles too, described in layout-fields.ts.
 */

export const V6_BYTES = 32;
export const V6_STRIDE32 = V6_BYTES / 4;

/** A's address then B's, big-endian words. While the entry is free, its first word links the next free one. */
export const VW_ADDR = 0; // bytes 0..31

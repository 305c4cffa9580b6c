/**
 * LINKTYPE_* values (tcpdump.org/linktypes.html) the decoder understands.
 * Constants only: the WebAssembly decoder (src/wasm/) compiles this file too.
 */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some platforms write it into files (12 on most BSDs/Linux live, 14 on OpenBSD). */
export const DLT_RAW_12 = 12;
export const DLT_RAW_14 = 14;
export const LINKTYPE_PPP = 9;
/** PPP in HDLC-like framing (RFC 1662): 0xFF 0x03, then the protocol. */
export const LINKTYPE_PPP_HDLC = 50;
/** PPPoE without the Ethernet header. */
export const LINKTYPE_PPP_ETHER = 51;
/** What `tcpdump -i nflog:N` writes: the packets an `nft … log group N` rule logged. */
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_IPOIB = 242;

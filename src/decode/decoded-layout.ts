/**
 * Where the WebAssembly decoder leaves the fields of the packet it decoded
 * (byte offsets into its DecodedTcp block), for the JavaScript side to read
 * back when a caller wants the packet itself (--events, live views, RSTs).
 * Constants only: src/wasm/ compiles this file too.
 */
export const P_SRC = 0; // 4 × u32, big-endian words as numbers; IPv4 uses word 0
export const P_DST = 16; // 4 × u32
export const P_SEQ = 32; // u32
export const P_ACK = 36; // u32
export const P_IPID = 40; // i32, -1 for IPv6
export const P_IPLEN = 44; // i32
export const P_PAYLOAD = 48; // i32
export const P_MSS = 52; // i32, -1: absent
export const P_WSCALE = 56; // i32, -1: absent
export const P_SPORT = 60; // u16
export const P_DPORT = 62; // u16
export const P_WINDOW = 64; // u16
export const P_FLAGS = 66; // u8
export const P_TTL = 67; // u8
export const P_IPVER = 68; // u8: 4 or 6
export const P_DF = 69; // u8: 0/1
export const P_SNAPPED = 70; // u8: 0/1
export const P_SACKPERM = 71; // u8: 0/1
export const P_TIMESTAMPS = 72; // u8: 0/1
export const P_BYTES = 80;

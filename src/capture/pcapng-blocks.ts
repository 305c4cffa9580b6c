/**
 * pcapng block types and limits read by both block readers: the JavaScript
 * parser (pcapng.ts) and the WebAssembly walk over packet blocks
 * (src/wasm/pcapng-walk.ts). Constants only: AssemblyScript compiles this file too.
 */
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 1;
export const PCAPNG_PB_OBSOLETE = 2;
export const PCAPNG_SPB = 3;
export const PCAPNG_ISB = 5;
export const PCAPNG_EPB = 6;

/** Type, length and trailing length: the smallest block. */
export const PCAPNG_MIN_BLOCK = 12;
/** Far above any real block; a larger length is corruption. */
export const PCAPNG_MAX_BLOCK = 16 * 1024 * 1024;
/** An EPB's fixed part: header, interface, timestamp, lengths, trailer. */
export const PCAPNG_EPB_FIXED = 32;
/** An SPB's fixed part: header, wire length, trailer. */
export const PCAPNG_SPB_FIXED = 16;

export const PCAPNG_OPT_END = 0;
export const PCAPNG_EPB_DROPCOUNT = 4;

/**
 * Layout of an unanswered tail (src/wasm/unanswered.ts writes them,
 * src/diagnose/silent-drop.ts reads them): i32 fields, constants only, so the
 * WebAssembly and the TypeScript sides compile the same file. Widths:
 * layout-fields.ts.
 */
export const TAIL_STRIDE32 = 6;
export const TAIL_PACKETS = 0;
/** Event indexes of the first and last of those packets, -1: none. */
export const TAIL_FIRST = 1;
export const TAIL_LAST = 2;
export const TAIL_KEEPALIVES = 3;
export const TAIL_RETRANSMISSIONS = 4;
/** 1 when the direction sent a RST in its tail: its stack gave up and reset. */
export const TAIL_LOCAL_RST = 5;

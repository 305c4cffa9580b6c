/**
 * Layout of a reset note: what the WebAssembly tracker writes down about a
 * RST at the moment it arrives, before the RST updates its connection's
 * record (src/wasm/tracker.ts writes them into a small ring, TcpTracker turns
 * them into ResetContexts after each run). Constants only: both sides compile
 * this file. Positions are in units of the view that reads them; widths are
 * in layout-fields.ts.
 */
export const NOTE_BYTES = 72;
/** Notes the ring holds; a run of records stops early when it is full. */
export const NOTE_MAX = 512;

export const N_TIME = 0; // f64: the RST's time (ns from the time base)
export const N_PREV_TIME = 1; // f64: time of the connection's packet before it
export const N_PREV_IDLE = 2; // f64: silence before that packet, when N_PREV_IDLE_KNOWN
export const N_CONN = 6; // u32
export const N_FRAME = 7; // u32
export const N_SEQ = 8; // u32
export const N_ACK = 9; // u32
export const N_EXPECTED_SEQ = 10; // u32, when N_EXPECTED_SEQ_SET
export const N_PREV_FRAME = 11; // u32
export const N_IPID = 12; // i32: -1 for IPv6
export const N_SEGLEN = 13; // i32
export const N_WINDOW = 28; // u16
export const N_LAST_IPID = 29; // u16: the sender's previous IP ID, when N_LAST_IPID_SET
export const N_DIR = 60; // u8
export const N_TTL = 61; // u8
export const N_FLAGS = 62; // u8: TCP flags
export const N_BITS = 63; // u8: N_* bits below
export const N_PREV_KIND = 64; // u8: K_* kind of the packet before the RST

// bits of N_BITS
export const N_HAS_TIMESTAMPS = 1 << 0;
export const N_EXPECTED_SEQ_SET = 1 << 1;
export const N_LAST_IPID_SET = 1 << 2;
/** The connection had a packet before the RST: N_PREV_* hold it. */
export const N_PREV_SEEN = 1 << 3;
export const N_PREV_IDLE_KNOWN = 1 << 4;
/** Direction of the packet before the RST (set = B → A). */
export const N_PREV_DIR_B = 1 << 5;

/**
 * Layout of an event-log record (see event-log.ts), constants only: the
 * WebAssembly tracker compiles this same file to write the records. Widths:
 * layout-fields.ts.
 */

export const E_STRIDE = 48;
export const E_STRIDE64 = E_STRIDE / 8;
export const E_STRIDE32 = E_STRIDE / 4;
export const E_STRIDE16 = E_STRIDE / 2;
// Field positions, in units of the view that reads them.
export const E_TIME = 0; // f64: ns relative to the capture time base
export const E_IDLE = 1; // f64: idle time before this packet in its connection (ns)
export const E_CONN = 4; // u32
export const E_FRAME = 5; // u32
export const E_SEQ = 6; // u32
export const E_ACK = 7; // u32
export const E_IPID = 8; // i32: IPv4 id, or -1 for IPv6
export const E_LEN = 18; // u16, saturated at 65535
export const E_WIN = 19; // u16
export const E_KIND = 40; // u8
export const E_DIR = 41; // u8
export const E_TTL = 42; // u8
export const E_FLAGS = 43; // u8
export const E_OPTS = 44; // u8: E_OPT_* bits

// bits of E_OPTS
/** The TCP timestamps option was present. Bit 0 because the tracker stores the decoder's 0/1 P_TIMESTAMPS byte as is. */
export const E_OPT_TIMESTAMPS = 1 << 0;

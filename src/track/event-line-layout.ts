/**
 * The phrase table of the `--events` line encoder in WebAssembly
 * (src/wasm/event-line.ts): the fixed text between a line's values, in slots
 * of PHRASE_SLOT bytes (a length byte, then the bytes), in this order. The
 * texts come from render/event-lines.ts (eventLinePhrases), next to the
 * definition of a line; the encoder only knows where each one goes.
 * Constants only: src/wasm/ compiles this file too.
 */
export const PH_TS = 0; // before the seconds
export const PH_CONN = 1; // after the nanoseconds, before the connection number
export const PH_C2S = 2; // the direction, whole
export const PH_S2C = 3;
export const PH_ACK = 4; // before each of these numbers
export const PH_LEN = 5;
export const PH_TTL = 6;
export const PH_WIN = 7;
export const PH_SRC = 8; // before the source address
export const PH_DST = 9; // between the addresses
export const PH_IPID = 10; // after the destination address
export const PH_NULL = 11; // an IP ID that IPv6 does not have
export const PH_END = 12; // closes the line
export const PH_KINDS = 16; // one per kind code, from here (the kind, then the key of the flags)
export const PH_FLAGS = 32; // one per flags byte, from here (the letters, then the key of seq)
export const PHRASE_COUNT = 288;
export const PHRASE_SLOT = 64;
/**
 * The line's head (`{"frame":`, or with the file's name before it) has room
 * for this many bytes: the JSON text of any path open() takes (PATH_MAX 4096
 * bytes, six each when escaped), so that every run can write its lines here.
 */
export const HEAD_MAX = 32768;
/** Output bytes the encoder fills before the JavaScript side writes them out. */
export const LINES_BYTES = 262144;
/** Room one line may take: the head, the fixed text, the longest numbers and two IPv6 addresses. */
export const LINE_MAX = HEAD_MAX + 1024;

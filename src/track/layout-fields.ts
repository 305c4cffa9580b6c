/**
 * What each constant of the shared layout files is, with the width of every
 * field, so that test/record-layout.test.ts can prove that the fields of a
 * record lie inside it and do not overlap. The layout files themselves hold
 * plain `export const X = n` lines only, because AssemblyScript compiles them
 * too; this TypeScript-only file is never loaded at run time.
 *
 * Each table must name every export of its layout file (the mapped type
 * makes a new constant a compile error here until it is described).
 */
import * as cold from './cold-layout.js';
import * as event from './event-layout.js';
import * as record from './record-layout.js';
import * as v6 from './v6-layout.js';
import * as note from './reset-note-layout.js';
import * as tail from './tail-layout.js';

/** The view a field is read through: its width, and the unit its position counts in. */
export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'f64';

export const TYPE_BYTES: Readonly<Record<FieldType, number>> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 };

export type LayoutEntry<Name extends string> =
  /** A field at (value × width) bytes, `slots` elements long (2 for the per-direction "+d" fields). */
  | { readonly type: FieldType; readonly slots?: number }
  /** A single-bit flag within field `bitOf`. */
  | { readonly bitOf: Name }
  /** A mask of bits within field `maskOf`: no flag of that field may lie in it. */
  | { readonly maskOf: Name }
  /** One of the values field `codeOf` holds (within the mask `within`, when it shares the field with flags). */
  | { readonly codeOf: Name; readonly within?: Name }
  /** A size or a count, not a position. */
  | 'size';

export interface Layout<L> {
  readonly name: string;
  /** Bytes of one record. */
  readonly bytes: number;
  readonly constants: L;
  readonly entries: { readonly [K in keyof L]: LayoutEntry<keyof L & string> };
}

export const RECORD_LAYOUT: Layout<typeof record> = {
  name: 'record-layout.ts',
  bytes: record.RECORD_BYTES,
  constants: record,
  entries: {
    RECORD_BYTES: 'size',
    STRIDE64: 'size',
    STRIDE32: 'size',
    STRIDE16: 'size',
    STRIDE8: 'size',
    W_ADDR: { type: 'u32', slots: 2 }, // A's IPv4 address, then B's
    H_PORT: { type: 'u16', slots: 2 },
    H_STATE: { type: 'u16' },
    H_WIN: { type: 'u16', slots: 2 },
    B_DIR_FLAGS: { type: 'u8', slots: 2 },
    H_LAST_IPID: { type: 'u16', slots: 2 },
    W_NEXT_SEQ: { type: 'u32', slots: 2 },
    W_LAST_ACK: { type: 'u32', slots: 2 },
    F_T_LAST: { type: 'f64' },
    F_MAX_IDLE: { type: 'f64' },
    W_PKTS: { type: 'u32', slots: 2 },
    W_BYTES: { type: 'u32', slots: 2 },
    W_PAYLOAD: { type: 'u32', slots: 2 },
    W_LAST_FRAME_DIR: { type: 'u32', slots: 2 },
    B_TTL_FIRST: { type: 'u8', slots: 2 },
    B_TTL_MIN: { type: 'u8', slots: 2 },
    B_TTL_MAX: { type: 'u8', slots: 2 },
    B_LAST_KIND: { type: 'u8' },
    B_END_INFO: { type: 'u8' },
    H_KEEPALIVES: { type: 'u16', slots: 2 },
    W_COLD: { type: 'u32' },
    F_T_FIRST: { type: 'f64' },
    F_SYN_OR_RTT: { type: 'f64' },
    W_FIRST_FRAME: { type: 'u32' },
    W_MAX_IDLE_FRAME: { type: 'u32' },
    W_END_FRAME: { type: 'u32' },
    W_ISN: { type: 'u32', slots: 2 },
    H_KEEPALIVE_ACKS: { type: 'u16', slots: 2 },
    H_RETRANS: { type: 'u16', slots: 2 },
    H_MSS: { type: 'u16', slots: 2 },
    B_WSCALE: { type: 'u8' },
    WSCALE_UNSEEN: { codeOf: 'B_WSCALE' },
    W_ID: { type: 'u32' },
    B_SETUP: { type: 'u8' },
    W_SETUP_US: { type: 'u32' },
    B_TTL_DATA: { type: 'u8', slots: 2 },
    B_TTL_DATA_MIN: { type: 'u8', slots: 2 },
    B_TTL_DATA_MAX: { type: 'u8', slots: 2 },
    ST_MIDSTREAM: { bitOf: 'H_STATE' },
    ST_SAW_SYN: { bitOf: 'H_STATE' },
    ST_SAW_SYNACK: { bitOf: 'H_STATE' },
    ST_ESTABLISHED: { bitOf: 'H_STATE' },
    ST_RTT_KNOWN: { bitOf: 'H_STATE' },
    ST_RESET: { bitOf: 'H_STATE' },
    ST_IPV6: { bitOf: 'H_STATE' },
    ST_LAST_DIR_B: { bitOf: 'H_STATE' },
    ST_LAST_LOGGED: { bitOf: 'H_STATE' },
    ST_UNANSWERED: { bitOf: 'H_STATE' },
    ST_EVENT_DIR_B: { bitOf: 'H_STATE' },
    D_KEEPALIVE: { bitOf: 'B_DIR_FLAGS' },
    D_ZWP: { bitOf: 'B_DIR_FLAGS' },
    D_NEXTSEQ_SET: { bitOf: 'B_DIR_FLAGS' },
    D_FIN: { bitOf: 'B_DIR_FLAGS' },
    D_SYN_SEEN: { bitOf: 'B_DIR_FLAGS' },
    D_SACK_PERM: { bitOf: 'B_DIR_FLAGS' },
    D_TIMESTAMPS: { bitOf: 'B_DIR_FLAGS' },
    D_IPID_NONZERO: { bitOf: 'B_DIR_FLAGS' },
    END_KIND_MASK: { maskOf: 'B_END_INFO' },
    END_BY_B: { bitOf: 'B_END_INFO' },
    END_OPEN: { codeOf: 'B_END_INFO', within: 'END_KIND_MASK' },
    END_FIN: { codeOf: 'B_END_INFO', within: 'END_KIND_MASK' },
    END_HALF_CLOSED: { codeOf: 'B_END_INFO', within: 'END_KIND_MASK' },
    END_RESET: { codeOf: 'B_END_INFO', within: 'END_KIND_MASK' },
    END_REJECTED: { codeOf: 'B_END_INFO', within: 'END_KIND_MASK' },
    END_NO_ANSWER: { codeOf: 'B_END_INFO', within: 'END_KIND_MASK' },
    SU_SYN_TIMED: { bitOf: 'B_SETUP' },
    SU_SYNACK_TIMED: { bitOf: 'B_SETUP' },
    SU_SETUP_KNOWN: { bitOf: 'B_SETUP' },
    SU_SYN_ODD_ACK: { bitOf: 'B_SETUP' },
    SU_RST_BEFORE_SYNACK: { bitOf: 'B_SETUP' },
    SU_REVIVED: { bitOf: 'B_SETUP' },
    SU_SYNACK_AFTER_ACK: { bitOf: 'B_SETUP' },
  },
};

export const COLD_LAYOUT: Layout<typeof cold> = {
  name: 'cold-layout.ts',
  bytes: cold.COLD_BYTES,
  constants: cold,
  entries: {
    COLD_BYTES: 'size',
    COLD_STRIDE32: 'size',
    COLD_STRIDE16: 'size',
    COLD_STRIDE8: 'size',
    CW_ZWPS: { type: 'u32', slots: 2 },
    CW_BYTES_HIGH: { type: 'u32', slots: 2 },
    CW_PAYLOAD_HIGH: { type: 'u32', slots: 2 },
    CH_RSTS: { type: 'u16', slots: 2 },
    CH_KEEPALIVES_HIGH: { type: 'u16', slots: 2 },
    CH_KEEPALIVE_ACKS_HIGH: { type: 'u16', slots: 2 },
    CH_RETRANS_HIGH: { type: 'u16', slots: 2 },
    CH_GAPS: { type: 'u16' },
    CH_DUPLICATES: { type: 'u16' },
    CB_DATA_AFTER_RST: { type: 'u8', slots: 2 },
    CB_SYN_RETRIES: { type: 'u8', slots: 2 },
  },
};

export const V6_LAYOUT: Layout<typeof v6> = {
  name: 'v6-layout.ts',
  bytes: v6.V6_BYTES,
  constants: v6,
  entries: {
    V6_BYTES: 'size',
    V6_STRIDE32: 'size',
    VW_ADDR: { type: 'u32', slots: 8 }, // 4 words for A's address, then 4 for B's
  },
};

export const EVENT_LAYOUT: Layout<typeof event> = {
  name: 'event-layout.ts',
  bytes: event.E_STRIDE,
  constants: event,
  entries: {
    E_STRIDE: 'size',
    E_STRIDE64: 'size',
    E_STRIDE32: 'size',
    E_STRIDE16: 'size',
    E_TIME: { type: 'f64' },
    E_IDLE: { type: 'f64' },
    E_CONN: { type: 'u32' },
    E_FRAME: { type: 'u32' },
    E_SEQ: { type: 'u32' },
    E_ACK: { type: 'u32' },
    E_IPID: { type: 'i32' },
    E_LEN: { type: 'u16' },
    E_WIN: { type: 'u16' },
    E_KIND: { type: 'u8' },
    E_DIR: { type: 'u8' },
    E_TTL: { type: 'u8' },
    E_FLAGS: { type: 'u8' },
    E_OPTS: { type: 'u8' },
    E_OPT_TIMESTAMPS: { bitOf: 'E_OPTS' },
  },
};

export const RESET_NOTE_LAYOUT: Layout<typeof note> = {
  name: 'reset-note-layout.ts',
  bytes: note.NOTE_BYTES,
  constants: note,
  entries: {
    NOTE_BYTES: 'size',
    NOTE_MAX: 'size',
    N_TIME: { type: 'f64' },
    N_PREV_TIME: { type: 'f64' },
    N_PREV_IDLE: { type: 'f64' },
    N_CONN: { type: 'u32' },
    N_FRAME: { type: 'u32' },
    N_SEQ: { type: 'u32' },
    N_ACK: { type: 'u32' },
    N_EXPECTED_SEQ: { type: 'u32' },
    N_PREV_FRAME: { type: 'u32' },
    N_IPID: { type: 'i32' },
    N_SEGLEN: { type: 'i32' },
    N_WINDOW: { type: 'u16' },
    N_LAST_IPID: { type: 'u16' },
    N_DIR: { type: 'u8' },
    N_TTL: { type: 'u8' },
    N_FLAGS: { type: 'u8' },
    N_BITS: { type: 'u8' },
    N_PREV_KIND: { type: 'u8' },
    N_HAS_TIMESTAMPS: { bitOf: 'N_BITS' },
    N_EXPECTED_SEQ_SET: { bitOf: 'N_BITS' },
    N_LAST_IPID_SET: { bitOf: 'N_BITS' },
    N_PREV_SEEN: { bitOf: 'N_BITS' },
    N_PREV_IDLE_KNOWN: { bitOf: 'N_BITS' },
    N_PREV_DIR_B: { bitOf: 'N_BITS' },
  },
};

export const TAIL_LAYOUT: Layout<typeof tail> = {
  name: 'tail-layout.ts',
  bytes: tail.TAIL_STRIDE32 * 4,
  constants: tail,
  entries: {
    TAIL_STRIDE32: 'size',
    TAIL_PACKETS: { type: 'i32' },
    TAIL_FIRST: { type: 'i32' },
    TAIL_LAST: { type: 'i32' },
    TAIL_KEEPALIVES: { type: 'i32' },
    TAIL_RETRANSMISSIONS: { type: 'i32' },
    TAIL_LOCAL_RST: { type: 'i32' },
  },
};

/** A layout with its names erased, for code that walks all of them. */
export interface AnyLayout {
  readonly name: string;
  readonly bytes: number;
  readonly constants: Readonly<Record<string, unknown>>;
  readonly entries: Readonly<Record<string, LayoutEntry<string>>>;
}

export const LAYOUTS: readonly AnyLayout[] = [RECORD_LAYOUT, COLD_LAYOUT, V6_LAYOUT, EVENT_LAYOUT, RESET_NOTE_LAYOUT, TAIL_LAYOUT];

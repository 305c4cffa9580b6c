/** Outcome of decoding one frame; numeric so the hot path can count without allocating. */
export const DECODED_TCP = 0;
export const UNKNOWN_LINK = 1;
export const NOT_IP = 2;
export const NOT_TCP = 3;
export const IP_FRAGMENT = 4;
export const TRUNCATED = 5;
export const MALFORMED = 6;
export const DECODE_STATUS_COUNT = 7;
export type DecodeStatus = number;

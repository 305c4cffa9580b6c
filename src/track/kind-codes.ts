/**
 * Numeric packet kinds for the hot path; index into KIND_NAMES for display.
 * Order matters: every kind above K_ACK is "notable" and goes to the event log.
 */
export const K_SYN = 0;
export const K_SYNACK = 1;
export const K_DATA = 2;
export const K_ACK = 3;
export const K_KEEPALIVE = 4;
export const K_KEEPALIVE_ACK = 5;
export const K_ZERO_WINDOW_PROBE = 6;
export const K_RETRANSMISSION = 7;
export const K_FIN = 8;
export const K_RST = 9;

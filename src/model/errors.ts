/**
 * Exit statuses of every kad command, in one place (README "Exit status").
 * They follow the convention of grep and diff (1: it worked and found
 * something) and of sysexits.h for the rest, so a script can tell "the check
 * failed" from "the check could not run".
 */
export const EXIT = {
  ok: 0,
  /** The command worked and found what it was asked to fail on: `audit --fail-on`, an inconclusive `probe`. */
  findings: 1,
  /** Usage or input: a mistyped flag or value, an unreadable or corrupt capture, a target that cannot be reached. */
  usage: 2,
  /** Something kad needs is missing: libpcap, the cap module (EX_UNAVAILABLE). */
  unavailable: 69,
  /** A bug in kad (EX_SOFTWARE). */
  internal: 70,
  /** Output could not be written (EX_IOERR). */
  io: 74,
  /** Not allowed: live capture without root or CAP_NET_RAW (EX_NOPERM). */
  noPermission: 77,
  /** Stopped by Ctrl-C (128 + SIGINT), the shell's convention. */
  interrupted: 130,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** An error caused by the user's input or environment: printed as one line, no stack. */
export class UserError extends Error {
  readonly exitCode: ExitStatus;
  constructor(message: string, exitCode: ExitStatus = EXIT.usage) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

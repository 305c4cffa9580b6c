import type blessed from 'blessed';
import { EXIT } from '../model/errors.js';

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type GuardedSignal = keyof typeof SIGNALS;

/**
 * Puts the terminal back however the TUI ends: normal quit, a signal, an
 * uncaught exception or rejection, or a stray process.exit(). Restoring is
 * idempotent; the process handlers live only as long as the guard.
 */
export class TerminalGuard {
  /** Settles when a signal asks to stop (resolves) or an uncaught error occurs (rejects). */
  readonly stopped: Promise<void>;
  get isRestored(): boolean {
    return this.restored;
  }
  private restored = false;
  private readonly handlers: Array<[string, (...args: never[]) => void]> = [];

  constructor(
    private readonly screen: blessed.Widgets.Screen,
    private readonly rawInput: { setRawMode?: (on: boolean) => unknown; isTTY?: boolean } | null,
    /** After an uncaught error, exit with 70 if the process is still alive this much later (null: never). */
    exitAfterFatalMs: number | null = 3000,
  ) {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    this.stopped = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be awaiting it yet when an error arrives.
    this.stopped.catch(() => undefined);
    for (const sig of Object.keys(SIGNALS) as GuardedSignal[]) {
      this.add(sig, () => {
        this.restore();
        process.exitCode = SIGNALS[sig];
        resolve();
      });
    }
    const fatal = (err: unknown) => {
      this.restore();
      reject(err);
      // The event loop may be held by whatever broke; do not hang with a restored terminal.
      if (exitAfterFatalMs !== null) setTimeout(() => process.exit(EXIT.internal), exitAfterFatalMs).unref();
    };
    this.add('uncaughtException', fatal);
    this.add('unhandledRejection', fatal);
    this.add('exit', () => this.restore());
  }

  private add(event: string, fn: (...args: never[]) => void): void {
    process.on(event, fn as (...args: unknown[]) => void);
    this.handlers.push([event, fn]);
  }

  /** Leave the alternate screen, show the cursor, end raw mode; safe to call twice. */
  restore(): void {
    if (this.restored) return;
    this.restored = true;
    for (const [event, fn] of this.handlers) process.off(event, fn as (...args: unknown[]) => void);
    try {
      this.screen.destroy();
    } catch {
      // blessed failed half-way: do by hand what matters to the user's shell.
      try {
        process.stdout.write('\x1b[?1049l\x1b[?25h\x1b[0m');
      } catch {
        // stdout is gone; nothing left to restore.
      }
    }
    try {
      if (this.rawInput?.isTTY && this.rawInput.setRawMode) this.rawInput.setRawMode(false);
    } catch {
      // The tty was closed under us.
    }
  }
}

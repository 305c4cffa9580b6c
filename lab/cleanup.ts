/**
 * Undo actions for everything the lab creates (namespaces, processes, work
 * files), run newest first. Every action also has a synchronous fallback so
 * that an exit we did not plan for (uncaught error, process.exit from a
 * signal handler) still leaves no namespace or process behind.
 */
interface Action {
  label: string;
  undo: () => Promise<void>;
  undoSync: () => void;
}

export class Cleanup {
  private readonly actions: Action[] = [];
  private running: Promise<string[]> | null = null;

  constructor() {
    process.on('exit', () => this.runSync());
  }

  add(label: string, undo: () => Promise<void>, undoSync: () => void): void {
    this.actions.push({ label, undo, undoSync });
  }

  /** Runs every pending action once; concurrent callers share one run. Returns failures. */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      // An action leaves the list only once done, so an exit in the middle still undoes it.
      for (let a = this.actions.at(-1); a; a = this.actions.at(-1)) {
        try {
          await a.undo();
        } catch (err) {
          failures.push(`${a.label}: ${err instanceof Error ? err.message : String(err)}`);
          try {
            a.undoSync();
          } catch {
            // The async undo already reported why; nothing more to say.
          }
        }
        this.actions.pop();
      }
      this.running = null;
      return failures;
    })();
    return this.running;
  }

  private runSync(): void {
    for (let a = this.actions.pop(); a; a = this.actions.pop()) {
      try {
        a.undoSync();
      } catch {
        // Exiting anyway: best effort is all that is left.
      }
    }
  }
}

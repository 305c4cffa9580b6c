/** Default --metrics-max-paths: a few hundred series per host stay cheap for Prometheus; every server endpoint would not. */
export const DEFAULT_MAX_PATHS = 100;
/** The label value paths beyond the cap share. No real path looks like it: a path is always HOST:PORT. */
export const OTHER_PATH = 'other';

/**
 * Bounds the `path` label. The path is a server endpoint, so a host that
 * talks to many servers would give Prometheus one series per endpoint per
 * metric, without limit. The first `max` paths seen keep their own label for
 * the life of the process (a path that came and went would otherwise appear
 * under two names over time); later ones are counted under "other".
 */
export class PathLabels {
  private readonly admitted = new Set<string>();

  constructor(readonly max = DEFAULT_MAX_PATHS) {}

  /** The label for a counter event on `path`: the path itself, or "other" once the cap is full. */
  label(path: string): string {
    return this.admit(path) ? path : OTHER_PATH;
  }

  /**
   * Whether `path` may have its own series. Gauges of paths over the cap
   * are left out rather than put under "other": one idle-timeout bracket for
   * unrelated paths would be a bracket of no path at all.
   */
  admit(path: string): boolean {
    if (this.admitted.has(path)) return true;
    if (this.admitted.size >= this.max) return false;
    this.admitted.add(path);
    return true;
  }

  get size(): number {
    return this.admitted.size;
  }
}

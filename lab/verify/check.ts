import type { Edge } from '../truth.js';

/** One comparison of a capture or an analysis against the ground truth. */
export interface Check {
  /** Which capture it is about, or 'both' for a two-point comparison. */
  edge: Edge | 'both';
  what: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** Collects checks; each helper records one and never throws, so a report lists every mismatch at once. */
export class Checks {
  readonly list: Check[] = [];

  private add(edge: Check['edge'], what: string, ok: boolean, expected: unknown, actual: unknown): void {
    this.list.push({ edge, what, ok, expected: show(expected), actual: show(actual) });
  }

  eq(edge: Check['edge'], what: string, actual: unknown, expected: unknown): void {
    this.add(edge, what, show(actual) === show(expected), expected, actual);
  }

  that(edge: Check['edge'], what: string, ok: boolean, expected: string, actual: unknown): void {
    this.add(edge, what, ok, expected, actual);
  }

  near(edge: Check['edge'], what: string, actual: number | null | undefined, expected: number, tolerance: number): void {
    const ok = typeof actual === 'number' && Math.abs(actual - expected) <= tolerance;
    this.add(edge, what, ok, `${expected} ± ${tolerance}`, typeof actual === 'number' ? Number(actual.toFixed(3)) : actual);
  }

  atLeast(edge: Check['edge'], what: string, actual: number | null | undefined, min: number): void {
    this.add(edge, what, typeof actual === 'number' && actual >= min, `≥ ${min}`, actual);
  }

  failed(): Check[] {
    return this.list.filter((c) => !c.ok);
  }
}

/**
 * Checks one property of every connection of `conns` as one check, named
 * `${tag} ${what}`: `bad` says why a connection is wrong (null when it is
 * right), and the check names up to three wrong ones by `name`.
 */
export function everyConnection<T>(
  c: Checks,
  edge: Check['edge'],
  tag: string,
  conns: readonly T[],
  name: (k: T) => string,
): (what: string, expected: string, bad: (k: T) => string | null) => void {
  return (what, expected, bad) => {
    const wrong = conns.flatMap((k) => {
      const why = bad(k);
      return why === null ? [] : [`${name(k)}: ${why}`];
    });
    c.that(
      edge,
      `${tag} ${what}`,
      wrong.length === 0,
      expected,
      wrong.length === 0 ? `all ${conns.length}` : `${wrong.length} wrong, e.g. ${wrong.slice(0, 3).join('; ')}`,
    );
  };
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
}

export function formatChecks(title: string, checks: readonly Check[]): string {
  const lines = checks.map(
    (c) => `  ${c.ok ? 'ok  ' : 'FAIL'} [${c.edge}] ${c.what}: ${c.ok ? c.actual : `expected ${c.expected}, got ${c.actual}`}`,
  );
  return [title, ...lines].join('\n');
}

/** Tolerance for idle times: the lab's clock readings and the capture's timestamps differ by scheduling noise. */
export const IDLE_TOLERANCE_S = 0.5;

export const EDGES: readonly Edge[] = ['client', 'server'];

export function otherEdge(e: Edge): Edge {
  return e === 'client' ? 'server' : 'client';
}

/** RFC 5952 text, so "2001:DB8:0:0::1" and "2001:db8::1" compare equal. */
export function canonicalAddr(addr: string): string {
  if (!addr.includes(':')) return addr;
  try {
    return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  } catch {
    return addr;
  }
}

export function sameEndpoint(a: { addr: string; port: number }, b: { addr: string; port: number }): boolean {
  return canonicalAddr(a.addr) === canonicalAddr(b.addr) && a.port === b.port;
}

export function endpointText(e: { addr: string; port: number }): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

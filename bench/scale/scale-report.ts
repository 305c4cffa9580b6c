/**
 * The harness's report: a section is metrics (value, the target beside it,
 * and pass/miss), optional tables (per-minute rows), notes, and the raw
 * numbers for --json. Printing never judges more than the targets say: the
 * harness reports, it does not fail the build.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg, release } from 'node:os';

export type Verdict = 'pass' | 'miss' | 'n/a';

export interface Metric {
  metric: string;
  value: string;
  target?: string;
  verdict?: Verdict;
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

export interface SectionResult {
  id: string;
  title: string;
  /** 'failed' = the harness could not measure (kad failing is measured, and is 'ok'). */
  status: 'ok' | 'skipped' | 'failed' | 'not wired';
  metrics: Metric[];
  tables: Table[];
  notes: string[];
  data: Record<string, unknown>;
}

export function emptySection(id: string, title: string): SectionResult {
  return { id, title, status: 'ok', metrics: [], tables: [], notes: [], data: {} };
}

export function verdict(ok: boolean | null): Verdict {
  return ok === null ? 'n/a' : ok ? 'pass' : 'miss';
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtRate = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
export const fmtMiB = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

export interface Machine {
  date: string;
  nproc: number;
  kernel: string;
  node: string;
  kadCommit: string;
  /** 1-minute load average at the start: timings on a busy machine are low and noisy. */
  load: number;
}

export function machine(root: string): Machine {
  const head = spawnSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    kernel: release(),
    node: process.version,
    kadCommit: head.status === 0 ? head.stdout.trim().slice(0, 100) : 'unknown',
    load: loadavg()[0] ?? 0,
  };
}

/** Columns left-aligned, except those `right` names (numbers). */
function table(header: string[], rows: string[][], right: (i: number) => boolean = () => false): string[] {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function renderText(m: Machine, sections: SectionResult[]): string {
  let out = [
    `kad scale harness  ${m.date}`,
    `machine: ${m.nproc} CPUs, kernel ${m.kernel}, node ${m.node}, load average ${m.load.toFixed(2)} at the start; kad build: ${m.kadCommit}`,
  ];
  const indent = (lines: string[]): string[] => lines.map((l) => `  ${l}`);
  for (const s of sections) {
    out.push('', `(${s.id}) ${s.title}${s.status === 'ok' ? '' : `  [${s.status}]`}`);
    if (s.metrics.length > 0) {
      const rows = s.metrics.map((x) => [x.metric, x.value, x.target ?? '', x.verdict ?? '']);
      out = out.concat(indent(table(['metric', 'value', 'target', 'verdict'], rows)));
    }
    for (const t of s.tables)
      out = out.concat(['', `  ${t.title}`], indent(table(t.header, t.rows, (i) => i > 0 && i < t.header.length - 1)));
    out = out.concat(indent(s.notes));
  }
  return out.join('\n');
}

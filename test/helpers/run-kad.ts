import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AnalysisReport } from '../../src/model/analysis-report.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const KAD = fileURLToPath(new URL('../../../bin/kad', import.meta.url));

export interface KadResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (bin/kad) as a user would. */
export function runKad(args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): KadResult {
  const r = spawnSync(process.execPath, [KAD, ...args], {
    input: opts.input,
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function kadEvents(file: string): Array<Record<string, unknown>> {
  const r = runKad(['analyze', '--events', file]);
  if (r.status !== 0) throw new Error(`kad analyze --events ${file} failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** `kad analyze --json file`, parsed. */
export function kadReport(file: string): AnalysisReport {
  const r = runKad(['analyze', '--json', file]);
  if (r.status !== 0) throw new Error(`kad analyze --json ${file} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as AnalysisReport;
}

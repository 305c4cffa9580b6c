import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AnalysisReport, FileReport } from '../../src/model/analysis-report.js';

const KAD = fileURLToPath(new URL('../../../bin/kad', import.meta.url));

/** Runs the project's own `kad analyze --json` on one capture, as a user would. */
export function kadAnalyze(file: string): Promise<FileReport> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [KAD, 'analyze', '--json', file], { maxBuffer: 64 << 20, timeout: 60000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`kad analyze --json ${file}: ${stderr.trim().split('\n').pop() ?? err.message}`));
        return;
      }
      let report: AnalysisReport;
      try {
        report = JSON.parse(stdout) as AnalysisReport;
      } catch {
        reject(new Error(`kad analyze --json ${file}: not JSON: ${stdout.slice(0, 120)}`));
        return;
      }
      const only = report.files?.[0];
      if (!only || report.files.length !== 1)
        reject(new Error(`kad analyze --json ${file}: expected one file report, got ${report.files?.length}`));
      else resolve(only);
    });
  });
}

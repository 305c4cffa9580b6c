import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { EXIT, UserError } from '../model/errors.js';
import { runAudit } from '../audit/run-audit.js';
import { readListeners } from '../sockets/listeners.js';
import { renderAuditText } from '../audit/render-audit.js';
import { LEVEL_ORDER, type Level } from '../audit/finding.js';

interface AuditCliOptions {
  json?: boolean;
  all?: boolean;
  procRoot?: string;
  sysctlRoot?: string;
  failOn?: string;
}

const LEVELS = Object.keys(LEVEL_ORDER) as Level[];

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('audit this host (its network namespace) for settings that break long-lived TCP connections')
    .option('--json', 'print the report as JSON')
    .option('--all', 'also list the checks that passed')
    .option('--fail-on <level>', 'exit with status 1 if any finding is at this level or worse (info, warn, crit)')
    .option('--proc-root <dir>', 'read /proc from another directory (a copy or a test tree)', '/proc')
    .option('--sysctl-root <dir>', 'read /proc/sys from another directory (default: <proc-root>/sys)')
    .addHelpText(
      'after',
      `
Examples:
  kad audit                      findings for this host's network namespace, with the fix lines
  kad audit --all                also the checks that passed
  kad audit --fail-on warn       in CI: exit status 1 if any finding is warn or crit
  sudo ip netns exec app kad audit --json | jq '.findings[] | select(.level=="crit")'`,
    )
    .action(async (opts: AuditCliOptions) => {
      const failOn = opts.failOn === undefined ? null : level(opts.failOn);
      for (const [flag, dir] of [
        ['--proc-root', opts.procRoot],
        ['--sysctl-root', opts.sysctlRoot],
      ] as const) {
        if (dir !== undefined && !isDirectory(dir)) throw new UserError(`${flag} ${dir}: not a directory`);
      }
      // The live host's listeners with their backlog (kad-sockdiag, else ss); a --proc-root tree has /proc's queue lengths only.
      const listeners = opts.procRoot === '/proc' ? await readListeners() : undefined;
      const report = runAudit({ procRoot: opts.procRoot, sysctlRoot: opts.sysctlRoot, listeners });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderAuditText(report, { showOk: opts.all === true }));
      if (failOn !== null && LEVEL_ORDER[report.summary.worst] >= LEVEL_ORDER[failOn]) process.exitCode = EXIT.findings;
    });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function level(text: string): Level {
  const l = text.trim().toLowerCase();
  if (!(LEVELS as string[]).includes(l) || l === 'ok') throw new UserError(`--fail-on must be info, warn or crit, got "${text}"`);
  return l as Level;
}

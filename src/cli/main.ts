import { Command, CommanderError } from 'commander';
import { registerAnalyze } from './analyze-command.js';
import { registerRecommend } from './recommend-command.js';
import { registerAudit } from './audit-command.js';
import { registerProbe } from './probe-command.js';
import { registerLiveCommands } from './watch-command.js';
import { registerTui } from './tui-command.js';
import { VERSION } from '../version.js';
import { UserError } from './user-error.js';

function buildProgram(): Command {
  const program = new Command();
  program
    .name('kad')
    .description('keepalive-doctor: find out who killed your idle TCP connections')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerAnalyze(program);
  registerRecommend(program);
  registerAudit(program);
  registerProbe(program);
  registerLiveCommands(program);
  registerTui(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`kad: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    // Anything else is a bug; still one line, but point at --debug-free reporting.
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`kad: internal error: ${msg}\n`);
    if (process.env.KAD_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 70;
  }
}

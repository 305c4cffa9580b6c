import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { EXIT, UserError } from '../model/errors.js';

type Registrar = (program: Command) => void;

/**
 * Each command's module, loaded on demand: `kad analyze` should not pay for
 * loading the TUI, the live capture and the metrics server (a tenth of a second).
 */
const COMMANDS: Record<string, () => Promise<Registrar>> = {
  analyze: async () => (await import('./analyze-command.js')).registerAnalyze,
  recommend: async () => (await import('./recommend-command.js')).registerRecommend,
  audit: async () => (await import('./audit-command.js')).registerAudit,
  fix: async () => (await import('./fix-command.js')).registerFix,
  probe: async () => (await import('./probe-command.js')).registerProbe,
  live: async () => (await import('./watch-command.js')).registerLiveCommands,
  watch: async () => (await import('./watch-command.js')).registerLiveCommands,
  tui: async () => (await import('./tui-command.js')).registerTui,
};

/** Only the command named on the command line is loaded; help and mistakes get them all. */
async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command();
  program
    .name('kad')
    .description('keepalive-doctor: find out who killed your idle TCP connections')
    .version(VERSION)
    .exitOverride()
    // Commander's refusals read like every other kad error: "kad: …".
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'kad: ')) });
  const named = argv[2] !== undefined && Object.hasOwn(COMMANDS, argv[2]) ? argv[2] : null;
  const wanted = named ? [COMMANDS[named]!] : [...new Set(Object.values(COMMANDS))];
  const registered = new Set<Registrar>();
  for (const load of wanted) {
    const register = await load();
    // live and watch share one registrar.
    if (!registered.has(register)) register(program);
    registered.add(register);
  }
  return program;
}

/**
 * A finished `kad analyze` holds hundreds of MiB of connection records, events
 * and diagnoses that nothing will read again: once its output is written, exit
 * rather than have Node tear the heap down piece by piece (~40 ms on a busy
 * capture). Other commands may leave work running (servers, timers).
 */
function exitIfDone(command: string | undefined): void {
  if (command === 'analyze' && process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
}

/** `kad analyze --events | head`: a reader that stopped listening ends us quietly, like SIGPIPE ends tcpdump. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`kad: cannot write output: ${err.code ?? err.message}\n`);
    process.exit(EXIT.io);
  });
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe(process.stdout);
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    exitIfDone(argv[2]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message; --help and --version are not errors,
      // everything else it refuses (unknown flag, bad value) is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
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
    process.exitCode = EXIT.internal;
  }
}

import type { Command } from 'commander';
import { EXIT } from '../model/errors.js';
import { DEFAULTS, probeSettings, type ProbeCliOptions } from '../probe/probe-options.js';
import { renderProbeText } from '../probe/render-probe.js';
import { runProbe } from '../probe/run-probe.js';

interface ProbeCommandOptions extends ProbeCliOptions {
  json?: boolean;
  quiet?: boolean;
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('measure the idle timeout of the path to HOST:PORT (any server that accepts connections) with parallel idle connections')
    .argument('<host:port>', 'the server; a name is resolved once and only that address is contacted')
    .option('--min <duration>', 'shortest idle to try', DEFAULTS.min)
    .option('--max <duration>', 'longest idle to try', DEFAULTS.max)
    .option('--precision <duration|percent>', 'stop once the bracket is this narrow: 10s, or 5% of the timeout', DEFAULTS.precision)
    .option('--connections <n>', `parallel connections (more than 16 needs --force)`, DEFAULTS.connections)
    .option('--force', 'allow more than 16 connections')
    .option('--max-time <duration>', 'give up after this long, reporting the bracket so far', DEFAULTS.maxTime)
    .option('--allow-data', 'test each connection by writing one byte (a newline) instead of a keepalive probe; needed behind L7 proxies')
    .option('--no-capture', 'do not run tcpdump for RST attribution')
    .option('--capture-interface <name>', 'interface for the attribution capture', DEFAULTS.captureInterface)
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress lines on stderr')
    .addHelpText(
      'after',
      `
Examples:
  kad probe db.example.com:5432                     bracket the idle timeout between 5 s and 20 min
  kad probe 198.51.100.10:443 --min 60s --max 15m --precision 5%
  kad probe redis.internal:6379 --json > probe.json  then: kad watch --sockets --timeout-from probe.json
  kad probe api.example.com:443 --allow-data        behind an L7 proxy (keepalive probes do not count there)

Exit status: 0 with a bracket, 1 inconclusive, 2 bad input or unreachable target, 130 interrupted.`,
    )
    .action(async (targetText: string, opts: ProbeCommandOptions) => {
      const settings = probeSettings(targetText, opts);
      const ac = new AbortController();
      const onSigint = (): void => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        const report = await runProbe(settings, {
          signal: ac.signal,
          log: opts.quiet ? undefined : (line) => process.stderr.write(`kad probe: ${line}\n`),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderProbeText(report));
        if (report.result.stopReason === 'interrupted') process.exitCode = EXIT.interrupted;
        else if (report.result.stopReason === 'inconclusive') process.exitCode = EXIT.findings;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

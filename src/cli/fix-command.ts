import { Command, InvalidArgumentError, Option } from 'commander';
import { EXIT, UserError } from '../model/errors.js';
import type { KeepaliveChange } from '../sockets/keepalive-options.js';
import type { FixSelection } from '../fix/fix-plan.js';
import { renderFixText } from '../fix/render-fix.js';
import { runFix, runRevert, type FixReport } from '../fix/run-fix.js';
import type { TcpState } from '../sockets/socket-table.js';
import { TCP_STATE_CODES } from '../sockets/socket-table.js';
import { durationSeconds, tcpPort } from './option-values.js';
import { inferFromCaptures, runRecommend } from './recommend-command.js';
import { DEFAULT_TOLERATED_LOSSES } from '../recommend/keepalive-solver.js';

interface FixFlags {
  pid?: number;
  port?: number;
  path?: string;
  state: TcpState | 'all';
  keepidle?: number;
  keepintvl?: number;
  keepcnt?: number;
  userTimeout?: number;
  fromRecommendation?: boolean;
  idleTimeout?: string[];
  behind?: string[];
  from?: string[];
  tolerateLosses: string;
  apply?: boolean;
  changes?: string;
  revert?: string;
  json?: boolean;
}

/** The kernel's ranges (tcp_sock_set_keepidle and friends): outside them setsockopt says EINVAL. */
const MAX_KEEPALIVE_S = 32767;
const MAX_KEEPCNT = 127;

function wholeSeconds(flag: string, max: number) {
  return (s: string): number => {
    const v = durationSeconds(s);
    if (!Number.isInteger(v) || v > max) throw new InvalidArgumentError(`${flag} takes whole seconds from 1 to ${max}, got "${s}"`);
    return v;
  };
}

function probeCount(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s.trim()) || n < 1 || n > MAX_KEEPCNT)
    throw new InvalidArgumentError(`--keepcnt takes 1 to ${MAX_KEEPCNT} probes, got "${s}"`);
  return n;
}

function pidNumber(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s.trim()) || n < 1) throw new InvalidArgumentError(`"${s}" is not a process id`);
  return n;
}

const STATES = Object.values(TCP_STATE_CODES).filter((s) => s !== 'LISTEN');

function stateName(s: string): TcpState | 'all' {
  const up = s.toUpperCase().replace(/-/g, '_');
  if (up === 'ALL') return 'all';
  const found = STATES.find((x) => x === up);
  if (found) return found;
  throw new InvalidArgumentError(`"${s}" is not a TCP state (${STATES.map((x) => x.toLowerCase().replace(/_/g, '-')).join(', ')}, all)`);
}

function collect(value: string, previous: string[] = []): string[] {
  return previous.concat(value.split(',').filter((v) => v.trim() !== ''));
}

/** The values to set: from the flags, or from what kad recommend would say for the same inputs. */
async function wantedChange(f: FixFlags): Promise<KeepaliveChange> {
  const explicit: KeepaliveChange = { idleS: f.keepidle, intervalS: f.keepintvl, count: f.keepcnt, userTimeoutMs: f.userTimeout };
  const named = Object.values(explicit).some((v) => v !== undefined);
  if (f.fromRecommendation) {
    if (named)
      throw new UserError('give either --from-recommendation or the values (--keepidle, --keepintvl, --keepcnt, --user-timeout), not both');
    if (!f.idleTimeout && !f.behind && !f.from)
      throw new UserError('--from-recommendation needs what kad recommend needs: --idle-timeout, --behind or --from');
    const inferred = f.from ? await inferFromCaptures(f.from) : [];
    const rec = runRecommend({ idleTimeout: f.idleTimeout, behind: f.behind, tolerateLosses: f.tolerateLosses }, inferred);
    return {
      keepalive: true,
      idleS: rec.keepalive.timeS,
      intervalS: rec.keepalive.intervalS,
      count: rec.keepalive.probes,
      userTimeoutMs: rec.userTimeoutMs,
    };
  }
  // Without values a dry run is a read: what the sockets have now.
  if (!named && f.apply)
    throw new UserError(
      'nothing to set: give --keepidle, --keepintvl, --keepcnt or --user-timeout, or --from-recommendation with --idle-timeout',
    );
  return Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined));
}

export function registerFix(program: Command): void {
  program
    .command('fix')
    .description(
      "read, and with --apply set, the keepalive options of a running process's TCP sockets, without a restart (dry run by default)",
    )
    .option('--pid <pid>', 'the process whose sockets to fix', pidNumber)
    .option('--port <port>', 'only sockets with this local or remote port', tcpPort)
    .option('--path <host:port>', 'only sockets whose remote (or local) endpoint is this, e.g. 198.51.100.7:5432 or [2001:db8::7]:443')
    .addOption(
      new Option('--state <state>', 'only sockets in this TCP state; "all" for every state but LISTEN')
        .argParser(stateName)
        .default('ESTABLISHED', 'established'),
    )
    .option(
      '--keepidle <duration>',
      `TCP_KEEPIDLE: silence before the first probe (whole seconds, 1–${MAX_KEEPALIVE_S}; e.g. 280, 4m40s)`,
      wholeSeconds('--keepidle', MAX_KEEPALIVE_S),
    )
    .option('--keepintvl <duration>', 'TCP_KEEPINTVL: between probes (whole seconds)', wholeSeconds('--keepintvl', MAX_KEEPALIVE_S))
    .option('--keepcnt <n>', `TCP_KEEPCNT: unanswered probes before the kernel drops the connection (1–${MAX_KEEPCNT})`, probeCount)
    .option('--user-timeout <duration>', 'TCP_USER_TIMEOUT (e.g. 60s; 0 is not accepted: --revert restores an old 0)', (s) =>
      Math.round(durationSeconds(s) * 1000),
    )
    .option('--from-recommendation', 'set what kad recommend gives for --idle-timeout / --behind / --from')
    .option('--idle-timeout <duration>', 'with --from-recommendation: the path idle timeout (repeatable)', collect)
    .option('--behind <preset>', 'with --from-recommendation: middlebox presets (kad recommend --list-presets)', collect)
    .option('--from <file...>', 'with --from-recommendation: infer the idle timeout from captures')
    .option('--tolerate-losses <m>', 'with --from-recommendation: consecutive lost probes to survive', String(DEFAULT_TOLERATED_LOSSES))
    .option('--apply', 'change the sockets (default: show what would change)')
    .option('--changes <file>', 'with --apply: where to write what changed (default kad-fix-PID-TIME.json)')
    .option('--revert <file>', 'put back the values a --apply run recorded in FILE')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Socket options belong to the socket: kad takes a duplicate of each of the
process's sockets (pidfd_getfd, Linux 5.6+, root or CAP_SYS_PTRACE), sets the
options on it, reads them back, and checks that the socket table shows the
keepalive timer. The process is not stopped or restarted. Listening sockets
are never touched; the next connections it accepts keep their old settings.

Examples:
  kad fix --pid 4242                                              # what its established sockets have now
  kad fix --pid 4242 --port 5432 --keepidle 280 --keepintvl 30 --keepcnt 3
  kad fix --pid 4242 --from-recommendation --behind aws-nat-gateway --apply
  kad fix --revert kad-fix-4242-2026-12-03T09-00-00-000Z.json
Exit status: 0 done; 1 some socket could not be changed or verified; 2 usage;
69 kad-sockopt missing or no pidfd_getfd; 77 not permitted.
`,
    )
    .action(async (f: FixFlags) => {
      let report: FixReport;
      if (f.revert !== undefined) {
        if (f.pid !== undefined || f.apply)
          throw new UserError('--revert takes the process and the sockets from its file: no --pid or --apply with it');
        report = runRevert(f.revert);
      } else {
        if (f.pid === undefined) throw new UserError("which process? --pid PID (kad fix changes one process's sockets)");
        if (f.changes !== undefined && !f.apply) throw new UserError('--changes names the file --apply writes: use it with --apply');
        const selection: FixSelection = { port: f.port, path: f.path, state: f.state };
        report = runFix({ pid: f.pid, selection, change: await wantedChange(f), apply: f.apply === true, changesFile: f.changes });
      }
      process.stdout.write(f.json ? `${JSON.stringify(report, null, 2)}\n` : renderFixText(report));
      if (report.rows.some((r) => r.status === 'failed' || r.status === 'not-verified')) process.exitCode = EXIT.findings;
    });
}

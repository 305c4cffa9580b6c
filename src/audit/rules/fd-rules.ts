import { sysctlNumber, sysctlValue } from '../host-snapshot.js';
import { sysctlFix, type Finding } from '../finding.js';
import type { RuleContext } from './rule-context.js';

const TARGET_NOFILE = 1048576;

export function fdRules(ctx: RuleContext): Finding[] {
  return [nofile(ctx), parentNofile(ctx), systemFiles(ctx), nrOpen(ctx)].filter((f): f is Finding => f !== null);
}

function limitText(n: number): string {
  return Number.isFinite(n) ? String(n) : 'unlimited';
}

function nofile(ctx: RuleContext): Finding | null {
  const self = ctx.snapshot.self;
  if (self.nofile === null) {
    return {
      id: 'fds.nofile',
      level: 'info',
      title: 'Open-file limit (RLIMIT_NOFILE)',
      observed: 'could not read /proc/self/limits',
      breaks: 'The per-process descriptor limit is unknown.',
      fix: null,
    };
  }
  const { soft, hard } = self.nofile;
  const inUse = self.openFds;
  const level = soft < 1024 ? 'crit' : soft < 65536 ? 'warn' : 'ok';
  const nrOpen = sysctlNumber(ctx.snapshot, 'fs.nr_open') ?? TARGET_NOFILE;
  const target = Math.min(TARGET_NOFILE, nrOpen);
  const headroom =
    inUse === null
      ? ''
      : ` ${inUse} are already open (stdio, epoll, the runtime's own), so about ${Math.max(0, soft - inUse)} connections fit.`;
  return {
    id: 'fds.nofile',
    level,
    title: 'Open-file limit (RLIMIT_NOFILE)',
    observed: `this process (PID ${self.pid}): soft ${limitText(soft)}, hard ${limitText(hard)}`,
    breaks:
      `Every socket is a descriptor: socket(), connect() and accept() fail with EMFILE ("Too many open files") once a process like this one holds ${limitText(soft)}.` +
      headroom +
      ` An unprivileged user can raise the soft limit only up to the hard limit (${limitText(hard)}).`,
    fix:
      level === 'ok'
        ? null
        : {
            commands: [
              `ulimit -n ${target}    # in the shell that starts the service; above the hard limit it needs root`,
              `prlimit --pid <PID> --nofile=${target}:${target}    # a running process, as root`,
            ],
            persistFile: '/etc/security/limits.d/90-nofile.conf',
            persistLines: [`*  soft  nofile  ${target}`, `*  hard  nofile  ${target}`],
            needs: 'root to raise the hard limit (CAP_SYS_RESOURCE)',
            note: `systemd services ignore limits.conf: set LimitNOFILE=${target} in the unit. Containers: docker run --ulimit nofile=${target}:${target}. The ceiling is fs.nr_open (${nrOpen}).`,
          },
  };
}

/**
 * Node (and Go ≥ 1.19) raise their own soft limit to the hard limit at
 * startup, so kad's own soft limit can look better than what a C, Python or
 * shell-started program inherits. The parent is usually that shell.
 */
function parentNofile(ctx: RuleContext): Finding | null {
  const { self, parent } = ctx.snapshot;
  if (parent.nofile === null || self.nofile === null || parent.nofile.soft >= self.nofile.soft) return null;
  return {
    id: 'fds.nofile-parent',
    level: parent.nofile.soft < 1024 ? 'warn' : 'info',
    title: 'Open-file limit of the launching process',
    observed: `parent (PID ${parent.pid}): soft ${limitText(parent.nofile.soft)}, hard ${limitText(parent.nofile.hard)}`,
    breaks: `Node raised kad's soft limit to its hard limit at startup; programs started the same way that do not raise it themselves (C, Python, shell tools) hit EMFILE at ${limitText(parent.nofile.soft)} descriptors.`,
    fix: null,
  };
}

function systemFiles(ctx: RuleContext): Finding | null {
  const nr = sysctlValue(ctx.snapshot, 'fs.file-nr');
  const fileMax = sysctlNumber(ctx.snapshot, 'fs.file-max');
  if (nr === null || fileMax === null) return null;
  const allocated = Number(nr.split(/\s+/)[0]);
  const ratio = fileMax > 0 ? allocated / fileMax : 0;
  const level = ratio >= 0.9 ? 'crit' : ratio >= 0.75 ? 'warn' : 'ok';
  return {
    id: 'fds.file-max',
    level,
    title: 'System-wide open files (fs.file-max)',
    observed: `${allocated} of ${fileMax} file handles allocated (${(ratio * 100).toFixed(ratio < 0.01 ? 3 : 1)} %)`,
    breaks: `Past ${fileMax} handles every process gets ENFILE ("Too many open files in system"), root included.`,
    fix: level === 'ok' ? null : sysctlFix([['fs.file-max', Math.max(fileMax * 2, 2097152)]], null, 'root (global, initial namespace)'),
  };
}

function nrOpen(ctx: RuleContext): Finding | null {
  const v = sysctlNumber(ctx.snapshot, 'fs.nr_open');
  if (v === null) return null;
  const level = v < 65536 ? 'warn' : 'ok';
  return {
    id: 'fds.nr-open',
    level,
    title: 'Per-process descriptor ceiling (fs.nr_open)',
    observed: `fs.nr_open = ${v}`,
    breaks: `No process can have a nofile hard limit above ${v}, even set by root.`,
    fix: level === 'ok' ? null : sysctlFix([['fs.nr_open', TARGET_NOFILE]], null, 'root (global, initial namespace)'),
  };
}

import type { KeepaliveOptions } from '../sockets/keepalive-options.js';
import type { FixReport } from './run-fix.js';

/** "on 280/30/3" or "off (7200/75/9)": keepalive, then TCP_KEEPIDLE s / TCP_KEEPINTVL s / TCP_KEEPCNT; user timeout when set. */
export function optionsText(o: KeepaliveOptions | null): string {
  if (!o) return '?';
  const timers = `${o.idleS}/${o.intervalS}/${o.count}`;
  const ut = o.userTimeoutMs > 0 ? ` ut ${o.userTimeoutMs}ms` : '';
  return `${o.keepalive ? `on ${timers}` : `off (${timers})`}${ut}`;
}

const HEADLINE: Record<FixReport['mode'], string> = {
  'dry-run': 'dry run, nothing changed; --apply changes them',
  apply: 'applied',
  revert: 'reverted',
};

export function renderFixText(r: FixReport): string {
  const who = `process ${r.pid}${r.process ? ` (${r.process})` : ''}`;
  const reading = r.mode === 'dry-run' && Object.keys(r.change).length === 0;
  const mode = reading ? 'their options now; give values to see what would change' : HEADLINE[r.mode];
  const out = [`kad fix: ${who}, ${r.rows.length} TCP socket${r.rows.length === 1 ? '' : 's'} selected (${mode})`];
  if (r.rows.length === 0) {
    out.push('no socket matches: kad fix never touches listening sockets; --state all takes every other state');
    return `${out.join('\n')}\n`;
  }
  out.push('keepalive: on|off TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT (s/s/probes), ut = TCP_USER_TIMEOUT', '');
  const header = ['fd', 'local', 'peer', 'state', 'now', r.mode === 'dry-run' ? 'would be' : 'after', 'status'];
  const rows = r.rows.map((x) => [
    String(x.fd),
    x.local,
    x.remote,
    x.state,
    optionsText(x.before),
    optionsText(x.after),
    x.note ? `${x.status}: ${x.note}` : x.status,
  ]);
  const widths = header.map((h, i) => rows.reduce((w, row) => Math.max(w, row[i]!.length), h.length));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  out.push(line(header));
  for (const row of rows) out.push(line(row));
  const count = (s: string): number => r.rows.filter((x) => x.status === s).length;
  const tally = ['would-change', 'changed', 'reverted', 'unchanged', 'not-verified', 'skipped', 'failed']
    .map((s) => [s, count(s)] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  out.push('', tally.join(', '));
  if (r.changeLog) out.push(`what changed is in ${r.changeLog}; kad fix --revert ${r.changeLog} puts the old values back`);
  return `${out.join('\n')}\n`;
}

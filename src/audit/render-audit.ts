import type { AuditReport } from './run-audit.js';
import type { Finding, Level } from './finding.js';
import { pushAll } from '../util/extremes.js';

const TAG: Record<Level, string> = { crit: 'CRIT', warn: 'WARN', info: 'INFO', ok: 'ok  ' };

export interface AuditTextOptions {
  /** Include the ok findings (hidden by default: they are context, not action). */
  showOk: boolean;
}

export function renderAuditText(r: AuditReport, opts: AuditTextOptions): string {
  const out: string[] = [];
  const h = r.host;
  const ns = h.netns ? `, netns ${h.netns}${h.initialNetns === false ? ' (not the initial one)' : ''}` : '';
  out.push(`kad audit: ${h.hostname ?? 'unknown host'}, kernel ${h.kernel ?? 'unknown'}, uid ${h.uid ?? '?'}${ns}`);
  const s = r.summary;
  out.push(`${s.crit} crit, ${s.warn} warn, ${s.info} info, ${s.ok} ok`, '');
  for (const f of r.findings) {
    if (f.level === 'ok' && !opts.showOk) continue;
    pushAll(out, findingLines(f)).push('');
  }
  if (!opts.showOk && s.ok > 0) out.push(`(${s.ok} ok findings hidden; --all shows them)`, '');
  pushAll(out, socketLines(r));
  out.push('', 'Privileges');
  for (const n of r.privileges) out.push(`  - ${n}`);
  return `${out.join('\n').trimEnd()}\n`;
}

function findingLines(f: Finding): string[] {
  const lines = [`${TAG[f.level]}  ${f.title}: ${f.observed}`, `      breaks: ${f.breaks}`];
  if (f.fix === null) return lines;
  const fix = f.fix;
  fix.commands.forEach((c, i) => lines.push(`      ${i === 0 ? 'fix:   ' : '       '} ${c}`));
  if (fix.persistFile !== null && fix.persistLines.length > 0) {
    lines.push(`      persist in ${fix.persistFile}:`);
    for (const l of fix.persistLines) lines.push(`               ${l}`);
  }
  lines.push(`      needs:  ${fix.needs}`);
  if (fix.note) lines.push(`      note:   ${fix.note}`);
  return lines;
}

function socketLines(r: AuditReport): string[] {
  const s = r.sockets;
  const states = Object.entries(s.byState)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [`Sockets: ${s.total} TCP${states ? ` (${states})` : ''}`];
  if (s.topRemotes.length > 0) {
    lines.push('  by remote endpoint (total / established / time-wait):');
    for (const g of s.topRemotes) lines.push(`    ${g.remote.padEnd(46)} ${g.total} / ${g.established} / ${g.timeWait}`);
  }
  const e = s.ephemeral;
  if (e.range !== null) {
    lines.push(`  ephemeral ports ${e.range.low}–${e.range.high} (${e.capacity} usable per source address and destination):`);
    if (e.busiest.length === 0) lines.push('    none in use by outgoing connections');
    for (const g of e.busiest) lines.push(`    ${`${g.local} → ${g.remote}`.padEnd(60)} ${g.inUse} / ${g.capacity}`);
  }
  return lines;
}

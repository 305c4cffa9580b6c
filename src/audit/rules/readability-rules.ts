import { AUDITED_SYSCTLS } from '../host-snapshot.js';
import type { Finding } from '../finding.js';
import type { RuleContext } from './rule-context.js';

/** Say what could not be seen, and why, instead of silently skipping a check. */
export function readabilityRules(ctx: RuleContext): Finding[] {
  const s = ctx.snapshot;
  const out: Finding[] = [];
  for (const name of AUDITED_SYSCTLS) {
    const r = s.sysctls[name];
    if (r.value !== null) continue;
    // Absent netfilter sysctls are reported once, by the conntrack rules.
    if (r.reason === 'missing' && name.startsWith('net.netfilter.')) continue;
    out.push({
      id: `unreadable.${name}`,
      level: 'info',
      title: `Could not read ${name}`,
      observed: r.reason === 'denied' ? 'permission denied' : r.reason === 'missing' ? 'not present on this kernel' : 'read error',
      breaks:
        r.reason === 'denied'
          ? 'The check that uses it was skipped; run kad audit as root to include it.'
          : 'The check that uses it was skipped.',
      fix: null,
    });
  }
  for (const u of s.sockets.unreadable) {
    out.push({
      id: `unreadable.${u.file}`,
      level: 'info',
      title: `Could not read ${u.file}`,
      observed: u.reason,
      breaks:
        u.file.endsWith('tcp6') && u.reason === 'missing'
          ? 'IPv6 is disabled here; only IPv4 sockets were counted.'
          : 'Socket counts are incomplete.',
      fix: null,
    });
  }
  return out;
}

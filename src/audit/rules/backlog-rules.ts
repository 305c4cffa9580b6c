import { sysctlNumber } from '../host-snapshot.js';
import { sysctlFix, type Finding } from '../finding.js';
import type { RuleContext } from './rule-context.js';
import { SOMAXCONN_LOW } from '../../sockets/listeners.js';

/**
 * When a middlebox kills many idle connections at once, every client
 * reconnects within the same second: the accept and SYN queues must absorb
 * that burst.
 */
export function backlogRules(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const somaxconn = sysctlNumber(ctx.snapshot, 'net.core.somaxconn');
  if (somaxconn !== null) {
    const level = somaxconn < SOMAXCONN_LOW ? 'warn' : 'ok';
    out.push({
      id: 'backlog.somaxconn',
      level,
      title: 'Accept queue cap (net.core.somaxconn)',
      observed: `net.core.somaxconn = ${somaxconn}`,
      breaks:
        `listen(fd, N) is silently capped at ${somaxconn}. In a reconnect storm (e.g. after a middlebox reset every idle connection) ` +
        'the accept queue overflows: SYNs or final ACKs are dropped and clients retry after 1 s, 3 s, 7 s…',
      fix: level === 'ok' ? null : sysctlFix([['net.core.somaxconn', 4096]], 'The application must also pass a large backlog to listen().'),
    });
  }
  const syn = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_max_syn_backlog');
  if (syn !== null) {
    const level = syn < 1024 ? 'warn' : 'ok';
    out.push({
      id: 'backlog.syn',
      level,
      title: 'Half-open connection queue (tcp_max_syn_backlog)',
      observed: `net.ipv4.tcp_max_syn_backlog = ${syn}`,
      breaks: `More than ${syn} simultaneous half-open connections per listener are dropped (or answered with SYN cookies, which lose TCP options such as window scaling on some kernels).`,
      fix: level === 'ok' ? null : sysctlFix([['net.ipv4.tcp_max_syn_backlog', 4096]]),
    });
  }
  return out;
}

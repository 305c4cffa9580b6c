import { sysctlNumber } from '../host-snapshot.js';
import { sysctlFix, type Finding, type Fix } from '../finding.js';
import type { RuleContext } from './rule-context.js';
import { counterMeaning } from '../../sockets/counter-meanings.js';
import { LISTEN_QUEUE_REMEDY, listenerHealth } from '../../sockets/listeners.js';

/** At most this many listeners are named in one finding: the rest are counted. */
const NAMED = 10;

/** somaxconn to propose: the kernel's default since 5.4, or twice the current value when that is already no smaller. */
function somaxconnTarget(current: number | null): number {
  return current !== null && current >= 4096 ? current * 2 : 4096;
}

/** The fix for a full accept queue: the cap, and the backlog the application asks for (the kernel takes the smaller). */
function listenQueueFix(somaxconn: number | null, extra: [string, number][] = []): Fix {
  const target = somaxconnTarget(somaxconn);
  return sysctlFix(
    [['net.core.somaxconn', target], ...extra],
    `The kernel uses min(listen() backlog, somaxconn): the application must also ask for it, e.g. listen(fd, ${target}) ` +
      `(nginx: listen 80 backlog=${target}; Node.js: server.listen({ port, backlog: ${target} }); Go and Java take somaxconn or their own option), ` +
      'then restart it. If the queue fills whatever its size, the application accepts too slowly: more accept threads or workers.',
  );
}

/**
 * A listener whose accept queue is at LISTENER_AT_RISK_FRACTION of its
 * backlog drops completed handshakes (or soon will): clients see a
 * connection that never answers, then a reset. A backlog equal to a small
 * somaxconn means the kernel cut what the application asked for.
 */
export function listenerRules(ctx: RuleContext): Finding[] {
  const somaxconn = sysctlNumber(ctx.snapshot, 'net.core.somaxconn');
  const read = ctx.snapshot.listeners;
  const health = read.listeners.map((l) => listenerHealth(l, somaxconn));
  const out: Finding[] = [];
  const atRisk = health.filter((h) => h.atRisk).sort((a, b) => b.queue - a.queue);
  if (atRisk.length > 0) {
    out.push({
      id: 'listen.queue-full',
      level: 'crit',
      title: 'Listeners with a full accept queue',
      observed:
        atRisk
          .slice(0, NAMED)
          .map(
            (h) => `${h.listener}: ${h.queue} waiting for accept(), backlog ${h.backlog}${h.synRecv > 0 ? `, ${h.synRecv} half-open` : ''}`,
          )
          .join('; ') + (atRisk.length > NAMED ? `; and ${atRisk.length - NAMED} more` : ''),
      breaks: atRisk[0]!.verdict ?? LISTEN_QUEUE_REMEDY,
      fix: listenQueueFix(somaxconn),
    });
  }
  const capped = health.filter((h) => h.capped && !h.atRisk);
  if (capped.length > 0) {
    out.push({
      id: 'listen.backlog-capped',
      level: 'warn',
      title: 'Listen backlogs cut to net.core.somaxconn',
      observed: `${capped
        .slice(0, NAMED)
        .map((h) => h.listener)
        .join(', ')}${capped.length > NAMED ? ` and ${capped.length - NAMED} more` : ''}: backlog ${somaxconn} = net.core.somaxconn`,
      breaks: `The application probably asked for a larger listen() backlog and the kernel silently gave it ${somaxconn}: a burst of more than ${somaxconn} connections overflows the queue.`,
      fix: listenQueueFix(somaxconn),
    });
  }
  if (read.source === 'proc' && health.some((h) => h.queue > 0)) {
    const waiting = health.filter((h) => h.queue > 0);
    out.push({
      id: 'listen.queue-unknown-backlog',
      level: 'info',
      title: 'Connections waiting for accept() (backlog unknown)',
      observed: waiting
        .slice(0, NAMED)
        .map((h) => `${h.listener}: ${h.queue} waiting`)
        .join('; '),
      breaks: `Read from /proc/net/tcp, which does not print a listener's backlog (${read.fallbackReason ?? 'no kad-sockdiag or ss'}): whether the queue is full is unknown. \`ss -ltn\` shows it (Send-Q).`,
      fix: null,
    });
  }
  return out;
}

/** Counter names in words: "ListenOverflows = 12 (…meaning…)". */
function said(values: Record<string, number>, names: string[]): string {
  return names
    .filter((n) => (values[n] ?? 0) > 0)
    .map((n) => `${n} = ${values[n]} (${counterMeaning(n)?.meaning ?? ''})`)
    .join('; ');
}

/**
 * The kernel's own count of dropped handshakes, since boot (or since the
 * network namespace was created): proof that a queue overflowed at some
 * point, even when no listener is full now.
 */
export function counterRules(ctx: RuleContext): Finding[] {
  const v = ctx.snapshot.counters.values;
  if (Object.keys(v).length === 0) return [];
  const somaxconn = sysctlNumber(ctx.snapshot, 'net.core.somaxconn');
  const out: Finding[] = [];
  const accept = ['ListenOverflows', 'ListenDrops'];
  if (accept.some((n) => (v[n] ?? 0) > 0)) {
    out.push({
      id: 'counters.listen-overflows',
      level: 'warn',
      title: 'Accept queue overflows counted by the kernel',
      observed: `${said(v, accept)}; since boot (in a network namespace: since it was created)`,
      breaks:
        "A listen queue overflowed: the handshake completed at the client but the server's application never accepted it; the client's data goes unanswered until it gives up or is reset. " +
        `${LISTEN_QUEUE_REMEDY}. \`kad watch --sockets\` names the listener and shows whether it is still happening (stats counters).`,
      fix: listenQueueFix(somaxconn),
    });
  }
  const syn = ['TCPReqQFullDrop', 'SyncookiesSent'];
  if (syn.some((n) => (v[n] ?? 0) > 0)) {
    const maxSyn = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_max_syn_backlog');
    out.push({
      id: 'counters.syn-queue-overflows',
      level: 'warn',
      title: 'SYN queue overflows counted by the kernel',
      observed: `${said(v, syn)}; since boot (in a network namespace: since it was created)`,
      breaks:
        'The half-open (SYN) queue overflowed: SYNs were dropped (clients retry after 1 s, 3 s, 7 s …) or answered with SYN cookies (which can lose window scaling and SACK). ' +
        'A SYN flood does this too: then cookies are the defence, not the problem.',
      fix: listenQueueFix(somaxconn, [['net.ipv4.tcp_max_syn_backlog', Math.max(4096, (maxSyn ?? 0) * 2)]]),
    });
  }
  return out;
}

import type { Finding } from '../finding.js';
import type { RuleContext } from './rule-context.js';

/**
 * /proc/net/tcp cannot show SO_KEEPALIVE directly, but an ESTABLISHED socket
 * with no timer at all (tr=0) has no keepalive timer armed: if it idles
 * behind a NAT or firewall, nothing notices until the next write.
 */
export function socketRules(ctx: RuleContext): Finding[] {
  const k = ctx.sockets.keepalive;
  if (ctx.snapshot.sockets.entries.length === 0 && ctx.snapshot.sockets.unreadable.length > 0) return [];
  const observed =
    `${k.established} ESTABLISHED: ${k.keepaliveArmed} with a keepalive timer, ${k.noTimer} without any timer, ${k.masked} retransmitting; ` +
    `${
      k.remoteWithoutKeepalive.length > 0
        ? `non-loopback without keepalive: ${k.remoteWithoutKeepalive
            .slice(0, 5)
            .map((g) => `${g.remote} ×${g.total}`)
            .join(', ')}`
        : 'every non-loopback connection has keepalive (or is busy)'
    }`;
  if (k.remoteWithoutKeepaliveTotal === 0) {
    return [
      {
        id: 'sockets.keepalive-coverage',
        level: 'ok',
        title: 'Keepalive on open connections',
        observed,
        breaks: 'No idle connection to another host is left without keepalive.',
        fix: null,
      },
    ];
  }
  return [
    {
      id: 'sockets.keepalive-coverage',
      level: 'info',
      title: 'Keepalive on open connections',
      observed,
      breaks:
        `${k.remoteWithoutKeepaliveTotal} connection(s) to other hosts have no keepalive timer: if they sit idle longer than a middlebox's timeout ` +
        'they are dropped without either end noticing, and the next write gets a RST or hangs.',
      fix: {
        commands: [],
        persistFile: null,
        persistLines: [],
        needs: 'the application (SO_KEEPALIVE per socket)',
        note: "Enable keepalive in the client/server that owns them; `kad recommend` prints the values and per-language snippets. Map a socket to its process by its inode: ls -l /proc/*/fd | grep socket:[INODE] (root for other users' processes).",
      },
    },
  ];
}

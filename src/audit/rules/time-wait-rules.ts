import { sysctlNumber } from '../host-snapshot.js';
import { sysctlFix, type Finding } from '../finding.js';
import type { RuleContext } from './rule-context.js';
import { maxOf } from '../../util/extremes.js';

const REUSE_MEANING: Record<number, string> = {
  0: 'off',
  1: 'on for all connections',
  2: 'loopback only, the kernel default',
};

export function timeWaitRules(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const reuse = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_tw_reuse');
  const tw = ctx.sockets.timeWait;
  const worstTw = maxOf(ctx.sockets.ephemeral.busiest, (g) => g.timeWait, 0);
  const capacity = ctx.sockets.ephemeral.capacity;
  if (reuse !== null) {
    // TIME_WAIT only hurts when it eats a real share of one destination's ports.
    const hurts = reuse !== 1 && capacity !== null && capacity > 0 && worstTw / capacity >= 0.25;
    out.push({
      id: 'time-wait.reuse',
      level: hurts ? 'warn' : 'info',
      title: 'TIME_WAIT reuse (tcp_tw_reuse)',
      observed: `net.ipv4.tcp_tw_reuse = ${reuse} (${REUSE_MEANING[reuse] ?? 'unknown value'}); ${tw} sockets in TIME_WAIT, at most ${worstTw} to one destination`,
      breaks:
        'Each connection this host closes first holds its source port for 60 s in TIME_WAIT; ' +
        (reuse === 1
          ? 'outgoing connections may reuse them when timestamps prove it safe.'
          : 'without reuse, clients that reconnect quickly to one destination run out of ports (EADDRNOTAVAIL) at range size / 60 s connections per second.'),
      fix: hurts
        ? sysctlFix([['net.ipv4.tcp_tw_reuse', 1]], 'Needs TCP timestamps on both ends (net.ipv4.tcp_timestamps = 1, the default).')
        : null,
    });
  }
  const buckets = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_max_tw_buckets');
  if (buckets !== null && buckets > 0 && tw / buckets >= 0.9) {
    out.push({
      id: 'time-wait.buckets',
      level: 'warn',
      title: 'TIME_WAIT table (tcp_max_tw_buckets)',
      observed: `${tw} of ${buckets} TIME_WAIT buckets in use`,
      breaks:
        'Beyond the limit closing sockets skip TIME_WAIT ("TCP: time wait bucket table overflow" in the kernel log): late segments of old connections can corrupt new ones.',
      fix: sysctlFix([['net.ipv4.tcp_max_tw_buckets', buckets * 2]]),
    });
  }
  return out;
}

import { sysctlNumber } from '../host-snapshot.js';
import { sysctlFix, type Finding, type Fix } from '../finding.js';
import type { RuleContext } from './rule-context.js';
import { formatSeconds } from '../../recommend/duration.js';

const DEFAULT_ESTABLISHED_S = 432000;

export function conntrackRules(ctx: RuleContext): Finding[] {
  const s = ctx.snapshot;
  if (!s.conntrackLoaded) {
    return [
      {
        id: 'conntrack.loaded',
        level: 'info',
        title: 'Connection tracking',
        observed: 'nf_conntrack is not loaded here (/proc/sys/net/netfilter has no nf_conntrack_* entries)',
        breaks:
          'Nothing on this host (in this network namespace) tracks TCP flows, so it cannot be the box that forgets idle connections. ' +
          'The conntrack limits and timeouts only exist once a stateful or NAT rule loads nf_conntrack; run the audit again then.',
        fix: null,
      },
    ];
  }
  return [fullness(ctx), buckets(ctx), established(ctx), loose(ctx), liberal(ctx)].filter((f): f is Finding => f !== null);
}

function fullness(ctx: RuleContext): Finding | null {
  const max = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_max');
  const count = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_count');
  if (max === null || count === null) return null;
  const ratio = max > 0 ? count / max : 0;
  const pct = Math.round(ratio * 1000) / 10;
  const level = max > 0 && ratio >= 0.9 ? 'crit' : max > 0 && ratio >= 0.75 ? 'warn' : 'ok';
  const readOnly = ctx.snapshot.conntrackMaxWritable === false;
  const target = Math.max(max * 2, 262144);
  const fix: Fix = sysctlFix(
    [['net.netfilter.nf_conntrack_max', target]],
    (readOnly
      ? 'nf_conntrack_max is read-only in this network namespace: it is global on this kernel, so set it on the host (initial namespace). '
      : '') +
      'Each entry costs ~300 B of kernel memory. Also consider a shorter nf_conntrack_tcp_timeout_established so dead flows leave sooner (keep it above your keepalive time), and raise the hash size with it: echo N > /sys/module/nf_conntrack/parameters/hashsize.',
    'root in the initial network namespace',
  );
  return {
    id: 'conntrack.table',
    level,
    title: 'Conntrack table usage',
    observed: `${count} of ${max} entries in use (${pct} %)`,
    breaks:
      level === 'ok'
        ? `New flows are dropped only when the table reaches ${max} entries; ${max - count} are free.`
        : `When the table reaches ${max} entries the kernel drops packets that would create new flows ("nf_conntrack: table full, dropping packet"): ` +
          `new connections hang in SYN_SENT and time out, and idle flows whose entry expired cannot be re-created. ${max - count} entries are left.`,
    fix: level === 'ok' ? null : fix,
  };
}

function buckets(ctx: RuleContext): Finding | null {
  const max = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_max');
  const b = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_buckets');
  const count = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_count');
  if (max === null || b === null || b <= 0) return null;
  // A full table with max ≫ buckets walks long hash chains for every packet; 8 is the old kernel default ratio.
  const chainAtMax = max / b;
  const level = chainAtMax > 8 ? 'warn' : 'ok';
  return {
    id: 'conntrack.buckets',
    level,
    title: 'Conntrack hash table size',
    observed: `${b} buckets for max ${max} entries (${chainAtMax.toFixed(1)} per bucket when full${count !== null ? `, ${(count / b).toFixed(2)} now` : ''})`,
    breaks:
      level === 'ok'
        ? 'Lookups stay short even with a full table.'
        : 'Every packet walks a hash chain of this length once the table fills: CPU per packet grows and softirq load rises under connection storms.',
    fix:
      level === 'ok'
        ? null
        : {
            commands: [`echo ${Math.ceil(max / 4)} > /sys/module/nf_conntrack/parameters/hashsize`],
            persistFile: '/etc/modprobe.d/nf_conntrack.conf',
            persistLines: [`options nf_conntrack hashsize=${Math.ceil(max / 4)}`],
            needs: 'root in the initial network namespace',
            note: null,
          },
  };
}

function established(ctx: RuleContext): Finding | null {
  const est = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_tcp_timeout_established');
  if (est === null) return null;
  const time = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_keepalive_time');
  const intvl = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_keepalive_intvl');
  const firstProbes = time !== null && intvl !== null ? time + 2 * intvl : null;
  const tooShort = firstProbes !== null && est < firstProbes;
  const observed = `nf_conntrack_tcp_timeout_established = ${formatSeconds(est)}${est === DEFAULT_ESTABLISHED_S ? ', the kernel default' : ''}`;
  if (tooShort) {
    return {
      id: 'conntrack.established-timeout',
      level: 'warn',
      title: 'Conntrack established timeout',
      observed,
      breaks:
        `This host forgets an idle TCP flow after ${formatSeconds(est)}, before the host's default keepalive (${time} s + 2 × ${intvl} s) refreshes it: ` +
        'forwarded, NATed or container connections that rely on the default die while idle (RST or silent drop, depending on the ruleset and tcp_loose).',
      fix: sysctlFix(
        [['net.netfilter.nf_conntrack_tcp_timeout_established', Math.max(est, 7440)]],
        'Or keep the short timeout and lower the keepalive time of the affected sockets below it (kad recommend --idle-timeout ' +
          est +
          's).',
      ),
    };
  }
  return {
    id: 'conntrack.established-timeout',
    level: 'info',
    title: 'Conntrack established timeout',
    observed,
    breaks:
      est >= 86400
        ? 'Idle flows are never cut by this host in practice; dead flows (peer vanished without FIN/RST) occupy an entry for this long.'
        : `Flows through this host that stay idle longer than ${formatSeconds(est)} lose their entry unless keepalive refreshes them.`,
    fix: null,
  };
}

function loose(ctx: RuleContext): Finding | null {
  const v = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_tcp_loose');
  if (v === null) return null;
  if (v !== 0) {
    return {
      id: 'conntrack.tcp-loose',
      level: 'ok',
      title: 'Conntrack mid-stream pickup (tcp_loose)',
      observed: `nf_conntrack_tcp_loose = ${v}`,
      breaks:
        'After an entry expires, the next mid-stream packet creates a fresh entry (ctstate NEW); whether it passes depends on rules that accept non-SYN NEW packets.',
      fix: null,
    };
  }
  return {
    id: 'conntrack.tcp-loose',
    level: 'warn',
    title: 'Conntrack mid-stream pickup (tcp_loose)',
    observed: 'nf_conntrack_tcp_loose = 0',
    breaks:
      'Once a flow\'s entry expires, every later packet of it is INVALID: rules matching "ct state invalid" drop it (hang, then ETIMEDOUT) or reset it (a RST forged by this host). ' +
      'Idle connections through this host must be kept alive below nf_conntrack_tcp_timeout_established.',
    fix: sysctlFix(
      [['net.netfilter.nf_conntrack_tcp_loose', 1]],
      'Only if the strict pickup was not chosen on purpose (it blocks some spoofing).',
    ),
  };
}

function liberal(ctx: RuleContext): Finding | null {
  const v = sysctlNumber(ctx.snapshot, 'net.netfilter.nf_conntrack_tcp_be_liberal');
  if (v === null) return null;
  return {
    id: 'conntrack.be-liberal',
    level: 'info',
    title: 'Conntrack window tracking (tcp_be_liberal)',
    observed: `nf_conntrack_tcp_be_liberal = ${v}`,
    breaks:
      v === 0
        ? 'Out-of-window segments are INVALID. kube-proxy then installs "--ctstate INVALID -j DROP", because INVALID packets escaping DNAT drew host RSTs ("connection reset by peer").'
        : 'Only out-of-window RSTs are INVALID; other out-of-window segments pass (kube-proxy skips its INVALID drop rule).',
    fix: null,
  };
}

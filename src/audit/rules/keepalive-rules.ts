import { sysctlNumber } from '../host-snapshot.js';
import { sysctlFix, type Finding } from '../finding.js';
import type { RuleContext } from './rule-context.js';
import { PRESETS } from '../../recommend/presets.js';
import { slackFor, solveKeepalive } from '../../recommend/keepalive-solver.js';
import { formatSeconds } from '../../recommend/duration.js';

/** Host defaults are sized for the tightest common L4 cloud default (Azure LB/NAT: 4 min). */
const HOST_TARGET_TIMEOUT_S = 240;
const HOST_TARGET_LOSSES = 2;

export function keepaliveRules(ctx: RuleContext): Finding[] {
  return [keepaliveDefaults(ctx), retries(ctx)].filter((f): f is Finding => f !== null);
}

function keepaliveDefaults(ctx: RuleContext): Finding | null {
  const time = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_keepalive_time');
  const intvl = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_keepalive_intvl');
  const probes = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_keepalive_probes');
  if (time === null || intvl === null || probes === null) return null;
  const target = solveKeepalive({ pathTimeoutS: HOST_TARGET_TIMEOUT_S, toleratedLosses: HOST_TARGET_LOSSES, detectWithinS: null });
  const survives = (t: number): boolean => time + HOST_TARGET_LOSSES * intvl + slackFor(t) <= t;
  const beaten = PRESETS.filter((p) => p.layer === 'L4' && p.idleTimeoutS !== null && !survives(p.idleTimeoutS));
  const detection = time + probes * intvl;
  const observed = `tcp_keepalive_time ${time} s, intvl ${intvl} s, probes ${probes}; a dead peer is noticed after ${formatSeconds(detection)}`;
  const fix = sysctlFix(
    [
      ['net.ipv4.tcp_keepalive_time', target.keepalive.timeS],
      ['net.ipv4.tcp_keepalive_intvl', target.keepalive.intervalS],
      ['net.ipv4.tcp_keepalive_probes', target.keepalive.probes],
    ],
    `Sized for a ${HOST_TARGET_TIMEOUT_S} s path (Azure LB/NAT default, the tightest common L4 cloud timeout). ` +
      'For your exact path run `kad recommend --behind <preset>` or `--idle-timeout <T>`. These are defaults only: applications still have to enable SO_KEEPALIVE.',
  );
  if (beaten.length === 0) {
    return {
      id: 'keepalive.defaults',
      level: 'ok',
      title: 'Host keepalive defaults',
      observed,
      breaks: `Sockets that enable SO_KEEPALIVE without their own timers probe within ${time} s: early enough for every known middlebox default.`,
      fix: null,
    };
  }
  const examples = beaten
    .slice()
    .sort((a, b) => (a.idleTimeoutS as number) - (b.idleTimeoutS as number))
    .slice(0, 6)
    .map((p) => `${p.id} ${p.idleTimeoutS} s`)
    .join(', ');
  return {
    id: 'keepalive.defaults',
    level: 'warn',
    title: 'Host keepalive defaults',
    observed,
    breaks:
      `Sockets that enable SO_KEEPALIVE without setting TCP_KEEPIDLE send their first probe after ${formatSeconds(time)}; ` +
      `${beaten.length} known middlebox defaults forget an idle flow sooner (${examples}). ` +
      'The next write after that idle gets a forged RST (ECONNRESET) or hangs in retransmission until ETIMEDOUT.',
    fix,
  };
}

/** tcp_retries2 as a time: RTO doubles from 200 ms up to 120 s (tcp_model_timeout). */
export function retries2Seconds(retries: number): number {
  const rtoMin = 0.2;
  const rtoMax = 120;
  const linearThreshold = Math.floor(Math.log2(rtoMax / rtoMin));
  if (retries <= linearThreshold) return (2 ** (retries + 1) - 1) * rtoMin;
  return (2 ** (linearThreshold + 1) - 1) * rtoMin + (retries - linearThreshold) * rtoMax;
}

function retries(ctx: RuleContext): Finding | null {
  const r2 = sysctlNumber(ctx.snapshot, 'net.ipv4.tcp_retries2');
  if (r2 === null) return null;
  const seconds = Math.round(retries2Seconds(r2) * 10) / 10;
  return {
    id: 'keepalive.retries2',
    level: r2 > 15 ? 'warn' : 'info',
    title: 'Unacknowledged-data timeout (tcp_retries2)',
    observed: `net.ipv4.tcp_retries2 = ${r2}, about ${formatSeconds(seconds)} with a 200 ms RTO`,
    breaks:
      `A connection with unacknowledged data on a black-holed path (silent-drop firewall, dead peer) fails with ETIMEDOUT only after ≈ ${formatSeconds(seconds)}; ` +
      'keepalive does not run while data is outstanding.',
    fix: {
      commands: [],
      persistFile: null,
      persistLines: [],
      needs: 'the application (per socket)',
      note: 'Prefer TCP_USER_TIMEOUT per socket (kad recommend prints it for your path). Lowering tcp_retries2 globally (8 ≈ 102 s) also shortens it for every connection on this host.',
    },
  };
}

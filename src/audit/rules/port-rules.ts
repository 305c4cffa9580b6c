import { sysctlFix, type Finding, type Fix } from '../finding.js';
import type { RuleContext } from './rule-context.js';
import type { PortRange } from '../socket-summary.js';

/** The wide range commonly recommended; keeps 1–1023 for privileged services. */
const WIDE_RANGE: PortRange = { low: 1024, high: 65000 };

export function parsePortRange(text: string | null): PortRange | null {
  if (text === null) return null;
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (low === undefined || high === undefined) return null;
  return Number.isInteger(low) && Number.isInteger(high) && low <= high ? { low, high } : null;
}

/** "1000-1005,3306" → {1000,…,1005,3306}. */
export function parseReservedPorts(text: string | null): Set<number> {
  const ports = new Set<number>();
  if (!text) return ports;
  for (const part of text.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    const last = b !== undefined && Number.isInteger(b) ? b : a;
    for (let p = a; p <= last; p++) ports.add(p);
  }
  return ports;
}

export function portRules(ctx: RuleContext): Finding[] {
  if (ctx.portRange === null) return [];
  return [rangeSize(ctx, ctx.portRange), perDestination(ctx, ctx.portRange)];
}

function rangeSize(ctx: RuleContext, range: PortRange): Finding {
  const capacity = ctx.sockets.ephemeral.capacity ?? range.high - range.low + 1;
  const level = capacity < 4096 ? 'crit' : capacity < 16384 ? 'warn' : 'ok';
  const reserved = capacity < range.high - range.low + 1 ? `, ${range.high - range.low + 1 - capacity} reserved` : '';
  return {
    id: 'ports.range',
    level,
    title: 'Ephemeral port range',
    observed: `net.ipv4.ip_local_port_range = ${range.low} ${range.high} (${capacity} usable ports${reserved})`,
    breaks:
      `connect() fails with EADDRNOTAVAIL ("Cannot assign requested address") after ~${approx(capacity)} concurrent connections ` +
      'from one source address to one destination address and port (TIME_WAIT sockets count too).',
    fix: level === 'ok' ? null : widenFix(ctx),
  };
}

function perDestination(ctx: RuleContext, range: PortRange): Finding {
  const busiest = ctx.sockets.ephemeral.busiest[0];
  if (busiest === undefined) {
    return {
      id: 'ports.per-destination',
      level: 'ok',
      title: 'Ephemeral ports in use per destination',
      observed: `no outgoing connection holds a port from ${range.low}–${range.high}`,
      breaks: 'No destination is close to running out of source ports.',
      fix: null,
    };
  }
  const ratio = busiest.capacity > 0 ? busiest.inUse / busiest.capacity : 1;
  const level = ratio >= 0.9 ? 'crit' : ratio >= 0.5 ? 'warn' : 'ok';
  const left = Math.max(0, busiest.capacity - busiest.inUse);
  const tw = busiest.timeWait > 0 ? `, ${busiest.timeWait} of them in TIME_WAIT` : '';
  const fix = widenFix(ctx);
  fix.note =
    (fix.note ? `${fix.note} ` : '') +
    'Other ways out: more source addresses (bind with IP_BIND_ADDRESS_NO_PORT before connect), more destination addresses or ports, or pooling connections instead of reconnecting.' +
    (busiest.timeWait > 0 ? ' TIME_WAIT sockets hold ports for 60 s: see the tcp_tw_reuse finding.' : '');
  return {
    id: 'ports.per-destination',
    level,
    title: 'Ephemeral ports in use per destination',
    observed: `${busiest.local} → ${busiest.remote} holds ${busiest.inUse} of ${busiest.capacity} ephemeral ports (${Math.round(ratio * 100)} %${tw})`,
    breaks:
      left === 0
        ? `connect() from ${busiest.local} to ${busiest.remote} fails with EADDRNOTAVAIL now.`
        : `connect() from ${busiest.local} to ${busiest.remote} fails with EADDRNOTAVAIL after ${left} more concurrent connection${left === 1 ? '' : 's'}.`,
    fix: level === 'ok' ? null : fix,
  };
}

function widenFix(ctx: RuleContext): Fix {
  const current = ctx.portRange as PortRange;
  const low = Math.min(current.low, WIDE_RANGE.low);
  const high = Math.max(current.high, WIDE_RANGE.high);
  // Listeners inside the new range would collide with outgoing connections' ports.
  const listeners = ctx.snapshot.sockets.entries
    .filter((e) => e.state === 'LISTEN' && e.local.port >= low && e.local.port <= high && !ctx.reservedPorts.has(e.local.port))
    .map((e) => e.local.port);
  const toReserve = [...new Set([...ctx.reservedPorts, ...listeners])].sort((a, b) => a - b);
  const settings: [string, string][] = [['net.ipv4.ip_local_port_range', `${low} ${high}`]];
  if (listeners.length > 0) settings.push(['net.ipv4.ip_local_reserved_ports', compressPorts(toReserve)]);
  return sysctlFix(
    settings,
    listeners.length > 0
      ? `Reserves the ports local services listen on (${compressPorts([...new Set(listeners)].sort((a, b) => a - b))}) so connect() never takes them.`
      : null,
  );
}

function compressPorts(ports: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length;) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j]! + 1) j++;
    parts.push(i === j ? String(ports[i]) : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function approx(n: number): string {
  return n >= 10000 ? `${Math.round(n / 1000)} k` : String(n);
}

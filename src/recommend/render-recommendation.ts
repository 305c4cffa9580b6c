import type { Recommendation, HopView } from './recommendation.js';
import type { ExpiryBehaviour } from './presets.js';
import { formatSeconds } from './duration.js';
import { formatBits, formatRate, groupThousands } from './units.js';
import { pushAll } from '../util/extremes.js';

const EXPIRY_WORDS: Record<ExpiryBehaviour, string> = {
  'reset-on-next-packet': 'RST on the next packet',
  'reset-at-timeout': 'RST to both ends at the timeout',
  'silent-drop': 'silent drop',
  'closes-connection': 'closes the connection',
  'not-documented': 'behaviour at expiry not documented',
};

export function renderRecommendationText(r: Recommendation): string {
  const out: string[] = [];
  const { timeS, intervalS, probes } = r.keepalive;
  out.push(`kad recommend: the path forgets idle flows after ${formatSeconds(r.pathTimeoutS)}: ${r.governing.label}`, '');
  out.push('Keepalive');
  out.push(row('TCP_KEEPIDLE   net.ipv4.tcp_keepalive_time', `${timeS} s`));
  out.push(row('TCP_KEEPINTVL  net.ipv4.tcp_keepalive_intvl', `${intervalS} s`));
  out.push(row('TCP_KEEPCNT    net.ipv4.tcp_keepalive_probes', String(probes)));
  out.push(row('TCP_USER_TIMEOUT', `${r.userTimeoutMs} ms`));
  out.push(row('dead-peer detection (idle connection)', formatSeconds(r.detectionS)));
  out.push('', 'Path');
  for (const hop of r.path) out.push(`  ${hopLine(hop)}`);
  out.push('', 'Why');
  for (const line of r.reasoning) pushAll(out, wrap(`- ${line}`, '  ', '    '));
  out.push('', 'Jitter');
  const j = r.jitter;
  pushAll(
    out,
    wrap(
      j.effective
        ? `Draw each socket's idle time as ${j.formula}: ${j.minS}–${j.maxS} s. The kernel adds no jitter, so connections opened together (pool warm-up, mass reconnect after a failover) otherwise probe in lockstep forever.`
        : `At ${j.baseS} s the 1 s granularity leaves no room for ${j.formula}; stagger connection setup instead so pools do not probe in lockstep.`,
      '  ',
      '  ',
    ),
  );
  if (r.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const w of r.warnings) pushAll(out, wrap(`! ${w}`, '  ', '    '));
  }
  if (r.l7Warnings.length > 0) {
    out.push('', 'L7 proxies: TCP keepalive does not help');
    for (const w of r.l7Warnings) pushAll(out, wrap(`! ${w.label}: ${w.message}`, '  ', '    '));
  }
  out.push('', `sysctl: ${r.sysctl.path}`);
  for (const line of r.sysctl.content.trimEnd().split('\n')) out.push(`  ${line}`);
  out.push(`  apply now: ${r.sysctl.applyCommand}`);
  out.push('', 'Per-socket settings');
  for (const s of r.snippets) {
    out.push(`  ${s.title}`);
    for (const line of s.code.split('\n')) out.push(`      ${line}`);
    for (const note of s.notes) pushAll(out, wrap(`* ${note}`, '    ', '      '));
    out.push('');
  }
  pushAll(out, costLines(r));
  return `${out.join('\n').trimEnd()}\n`;
}

function costLines(r: Recommendation): string[] {
  const c = r.cost;
  if (c === null) return ['Cost at scale: pass --connections N (no socket table was available to count them).'];
  const from = c.connectionsSource === 'socket-table' ? ' (ESTABLISHED sockets on this host now)' : '';
  const lines = [
    `Cost at scale: ${groupThousands(c.connections)} connections${from}, all idle, one probe + one ACK every ${c.periodS} s`,
    `  ${c.probesPerSecond < 10 ? c.probesPerSecond.toFixed(2) : groupThousands(c.probesPerSecond)} probes/s, ${formatRate(c.packetsPerSecond, 'pps')}`,
  ];
  for (const v of c.variants) {
    const label = `${v.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${v.timestamps ? 'with' : 'without'} timestamps`;
    lines.push(
      `  ${label.padEnd(28)} ${String(v.ipBytes).padStart(3)} B IP, ${String(v.wireBytes).padStart(3)} B on the wire per packet: ` +
        `${formatBits(v.bitsPerSecond)} (frames ${formatBits(v.frameBitsPerSecond)}, VXLAN ${formatBits(v.vxlanBitsPerSecond)})`,
    );
  }
  lines.push('  Busy connections send no probes; jittered idle times raise the rate by up to ~5 %.');
  return lines;
}

function hopLine(h: HopView): string {
  const timeout = h.idleTimeoutS === null ? 'no default' : formatSeconds(h.idleTimeoutS);
  const expiry = h.expiry ? `, ${EXPIRY_WORDS[h.expiry]}` : '';
  return `${h.label}: ${timeout}, ${h.layer}${expiry} [${h.evidence}] source: ${h.source}`;
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(46)} ${value}`;
}

/** Word-wrap at 100 columns: the reasoning lines are sentences, not tables. */
function wrap(text: string, first: string, rest: string, width = 100): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = first;
  for (const w of words) {
    const prefixOnly = line === first || line === rest;
    if (!prefixOnly && line.length + 1 + w.length > width) {
      lines.push(line);
      line = rest + w;
    } else {
      line = prefixOnly ? line + w : `${line} ${w}`;
    }
  }
  lines.push(line);
  return lines;
}

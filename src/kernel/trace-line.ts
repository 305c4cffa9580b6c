import type { KernelEvent, KernelEventKind } from '../model/kernel-event.js';
import { normalizeAddress, parseSsEndpoint } from '../sockets/endpoint-text.js';

/** Tracepoint name → the kind kad calls it (the events the trace instance enables, src/kernel/trace-session.ts). */
export const TRACEPOINT_KINDS: Readonly<Record<string, KernelEventKind>> = {
  tcp_receive_reset: 'receive-reset',
  tcp_send_reset: 'send-reset',
  inet_sk_error_report: 'error',
  inet_sock_set_state: 'state',
  tcp_retransmit_skb: 'retransmit',
};

/**
 * "  node-22188   [001] .Ns2. 30700.656620: tcp_receive_reset: family=AF_INET sport=…":
 * task-pid, [cpu], the irq/preempt flags (absent when the instance's `irq-info`
 * option is off), the timestamp on the instance's trace_clock, the event, its fields.
 * The task is whoever was on the CPU (often ksoftirqd), not the socket's owner, so it is not kept.
 */
const LINE = /^.*?-\d+\s+\[\d+\]\s+(?:\S+\s+)?(\d+\.\d+):\s+(\w+):\s+(.*)$/;

function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** "TCP_ESTABLISHED" → "ESTABLISHED" (the socket table's spelling); "UNKNOWN" (no socket) → null. */
function stateName(v: string | undefined): string | null {
  if (v === undefined || v === 'UNKNOWN') return null;
  return v.startsWith('TCP_') ? v.slice(4) : v;
}

/**
 * The socket's two ends from the family/sport/dport/saddr/daddr fields every
 * sock-based event carries. For an AF_INET6 socket saddr/daddr are 0.0.0.0 or
 * 127.0.0.x placeholders: the v6 fields hold the addresses (v4-mapped ones
 * become plain IPv4, as the socket table and captures spell them).
 */
function socketEnds(f: Map<string, string>): Pick<KernelEvent, 'family' | 'local' | 'remote'> | null {
  const v6 = f.get('family') === 'AF_INET6';
  const sa = normalizeAddress((v6 ? f.get('saddrv6') : f.get('saddr')) ?? '');
  const da = normalizeAddress((v6 ? f.get('daddrv6') : f.get('daddr')) ?? '');
  const sport = Number(f.get('sport'));
  const dport = Number(f.get('dport'));
  if (!sa || !da || !Number.isInteger(sport) || !Number.isInteger(dport)) return null;
  return { family: sa.family, local: { addr: sa.addr, port: sport }, remote: { addr: da.addr, port: dport } };
}

/**
 * One trace_pipe line as a KernelEvent; null for anything else (other events,
 * the "CPU:1 [LOST 12 EVENTS]" notices, non-TCP sockets, malformed lines).
 */
export function parseTraceLine(line: string): KernelEvent | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const kind = TRACEPOINT_KINDS[m[2]!];
  if (kind === undefined) return null;
  const f = fields(m[3]!);
  // inet_sock_set_state and inet_sk_error_report fire for every inet socket: only TCP's concern kad.
  const proto = f.get('protocol');
  if (proto !== undefined && proto !== 'IPPROTO_TCP') return null;
  let ends: Pick<KernelEvent, 'family' | 'local' | 'remote'> | null;
  const src = f.get('src');
  if (kind === 'send-reset' && src !== undefined) {
    // 6.x prints the RST's own addresses (src is this host's end, as for the other events).
    const s = parseSsEndpoint(src);
    const d = parseSsEndpoint(f.get('dest') ?? '');
    ends = s && d ? { family: s.family, local: { addr: s.addr, port: s.port }, remote: { addr: d.addr, port: d.port } } : null;
  } else {
    ends = socketEnds(f);
  }
  if (!ends) return null;
  const errText = kind === 'error' ? f.get('error') : undefined;
  const errno = errText === undefined ? null : Number(errText);
  const cookie = f.get('sock_cookie');
  return {
    kind,
    monoS: Number(m[1]),
    ...ends,
    cookie: cookie === undefined ? null : cookie,
    state: stateName(kind === 'state' ? f.get('newstate') : f.get('state')),
    oldState: kind === 'state' ? stateName(f.get('oldstate')) : null,
    reason: f.get('reason') ?? null,
    errno: errno !== null && Number.isInteger(errno) ? errno : null,
  };
}

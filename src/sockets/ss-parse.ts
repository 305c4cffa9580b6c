/**
 * `ss -Htinoep` output → SocketInfo. Each socket is a main line (state,
 * queues, addresses, users:, timer:, ino:, …) followed, with -i, by an
 * indented line of tcp_info fields (… lastsnd:N lastrcv:N lastack:N …).
 */
import type { TcpState } from './socket-table.js';
import type { SocketEndpoint } from './socket-types.js';
import { parseSsEndpoint } from './endpoint-text.js';
import { newSocketInfo } from './socket-info.js';
import type { SocketInfo, SocketTimer, TimerName } from './socket-types.js';

const STATES: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

const TIMER_NAMES: readonly TimerName[] = ['off', 'on', 'keepalive', 'timewait', 'persist'];

/**
 * ss prints timer expiry with its own grammar (iproute2 print_ms_timer):
 * `(\d+min)?(\d+(sec|\.))?(\d{3}ms)?`, dropping the smaller units once the
 * larger ones are big: "5.560ms" is 5 s 560 ms, "29sec", "2min7sec",
 * "119min", "840ms", and "" for 0. Returns ms, or null when it is not that grammar.
 */
export function parseSsDuration(text: string): number | null {
  const m = /^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d{3})ms)?$/.exec(text);
  if (!m) return null;
  if (m[3] === '.' && m[4] === undefined) return null;
  return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * 1000 + Number(m[4] ?? 0);
}

export function parseSsTimer(record: string): SocketTimer {
  const m = /\btimer:\((\w+),([^,)]*),(\d+)\)/.exec(record);
  if (!m) return { name: 'off', expiresMs: 0, count: 0 };
  const name = (TIMER_NAMES as readonly string[]).includes(m[1]!) ? (m[1] as TimerName) : 'unknown';
  return { name, expiresMs: parseSsDuration(m[2]!) ?? 0, count: Number(m[3]) };
}

/** Compiled once: a record is matched against each of these, hundreds of thousands of times a read. */
const FIELDS = {
  ino: /(?:^|\s)ino:(\d+)/,
  uid: /(?:^|\s)uid:(\d+)/,
  lastsnd: /(?:^|\s)lastsnd:(\d+)/,
  lastrcv: /(?:^|\s)lastrcv:(\d+)/,
  lastack: /(?:^|\s)lastack:(\d+)/,
} as const;

function field(record: string, name: keyof typeof FIELDS): number | null {
  const m = FIELDS[name].exec(record);
  return m ? Number(m[1]) : null;
}

/** ss -e: `sk:<hex>`, the socket cookie. */
function cookie(record: string): string | null {
  const m = /(?:^|\s)sk:([0-9a-f]+)/.exec(record);
  return m ? m[1]! : null;
}

/** First process of `users:(("name",pid=N,fd=M),…)`; names may contain spaces and escaped quotes. */
function owner(record: string): { pid: number; process: string } | null {
  const m = /\busers:\(\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)/.exec(record);
  return m ? { process: m[1]!.replace(/\\(.)/g, '$1'), pid: Number(m[2]) } : null;
}

/**
 * Groups ss output, pushed in chunks of any size, into one string per
 * socket (its main line plus indented continuation lines) and hands each to
 * `onRecord` as soon as the next socket's line starts: the whole output is
 * never one string (it is 100 MB at 190 k sockets with -p -e).
 */
export class SsRecordSplitter {
  private partial = '';
  private record: string | null = null;

  constructor(private readonly onRecord: (record: string) => void) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
  }

  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    if (this.record !== null) this.onRecord(this.record);
    this.record = null;
  }

  private line(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && this.record !== null) {
      this.record += ` ${trimmed}`;
      return;
    }
    if (this.record !== null) this.onRecord(this.record);
    this.record = trimmed;
  }
}

/** Parses one socket's record; null for headers, wildcards and lines that are not a socket. */
export function parseSsRecord(record: string): SocketInfo | null {
  const tokens = record.split(/\s+/);
  if (tokens[0] === 'tcp') tokens.shift(); // present when several netids are listed
  const [stateText, recvQ, sendQ, localText, peerText] = tokens;
  const state = stateText === undefined ? undefined : STATES[stateText];
  if (state === undefined || peerText === undefined) return null;
  const local = parseSsEndpoint(localText!);
  const peer = parseSsEndpoint(peerText);
  if (!local || !peer || !/^\d+$/.test(recvQ!) || !/^\d+$/.test(sendQ!)) return null;
  const timer = parseSsTimer(record);
  const s = newSocketInfo('ss', state, local, peer);
  s.recvQ = Number(recvQ);
  s.sendQ = Number(sendQ);
  s.timer = timer;
  s.keepaliveTimer =
    timer.name === 'keepalive' && keepaliveState(state) ? { state: 'on', nextProbeS: timer.expiresMs / 1000 } : { state: 'off' };
  s.probesOut = timer.name === 'keepalive' ? timer.count : 0;
  s.inode = field(record, 'ino') ?? 0;
  s.cookie = cookie(record);
  // ss -e prints uid: only when it is not 0.
  s.uid = field(record, 'uid') ?? 0;
  const who = owner(record);
  if (who) {
    s.pid = who.pid;
    s.process = who.process;
  }
  s.lastSendMs = field(record, 'lastsnd');
  s.lastRecvMs = field(record, 'lastrcv');
  s.lastAckMs = field(record, 'lastack');
  let idle = Infinity;
  for (const v of [s.lastSendMs, s.lastRecvMs, s.lastAckMs]) if (v !== null && v < idle) idle = v;
  if (idle !== Infinity) {
    s.idleMs = idle;
    s.idleFrom = 'socket';
  }
  return s;
}

/** In FIN_WAIT2 the same kernel timer is the FIN-WAIT-2 timeout, not keepalive. */
export function keepaliveState(state: TcpState): boolean {
  return state === 'ESTABLISHED' || state === 'CLOSE_WAIT';
}

/** A streaming parser: push ss's stdout as it comes, take the rows at the end. */
/** A listening or request socket's row as `ss -H -t -n state listening state syn-recv` prints it. */
export interface SsListenRow {
  state: TcpState;
  local: SocketEndpoint;
  recvQ: number;
  sendQ: number;
}

/**
 * A LISTEN / SYN_RECV row: the peer of a listener is a wildcard (`0.0.0.0:*`),
 * which parseSsRecord refuses, and a dual-stack listener's local address is
 * `*:port` (IPv6 with IPV6_V6ONLY off), read as `[::]:port`.
 */
export function parseSsListenRow(record: string): SsListenRow | null {
  const tokens = record.split(/\s+/);
  if (tokens[0] === 'tcp') tokens.shift();
  const [stateText, recvQ, sendQ, localText] = tokens;
  const state = stateText === undefined ? undefined : STATES[stateText];
  if ((state !== 'LISTEN' && state !== 'SYN_RECV') || localText === undefined) return null;
  if (!/^\d+$/.test(recvQ!) || !/^\d+$/.test(sendQ!)) return null;
  const local = parseSsEndpoint(localText.startsWith('*:') ? `[::]${localText.slice(1)}` : localText);
  return local ? { state, local, recvQ: Number(recvQ), sendQ: Number(sendQ) } : null;
}

export function ssParser(): { push(chunk: string): void; end(): SocketInfo[] } {
  const out: SocketInfo[] = [];
  const splitter = new SsRecordSplitter((r) => {
    const s = parseSsRecord(r);
    if (s) out.push(s);
  });
  return {
    push: (chunk) => splitter.push(chunk),
    end: () => {
      splitter.end();
      return out;
    },
  };
}

export function parseSsOutput(text: string): SocketInfo[] {
  const p = ssParser();
  p.push(text);
  return p.end();
}

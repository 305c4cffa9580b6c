import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';

/**
 * What the kernel says about one of our sockets in /proc/net/tcp{,6}. This
 * is how the probe sees, without a capture, that a keepalive probe was
 * answered or that its byte was acknowledged: Node exposes neither.
 */
export interface TcpSocketState {
  /** TCP state number as the kernel prints it: 1 = ESTABLISHED. */
  state: number;
  /** Bytes written but not yet acknowledged (write_seq − snd_una). */
  txQueue: number;
  /** 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe. */
  timer: number;
  /** Time until that timer fires, s (0 when already due). */
  timerS: number;
  retransmits: number;
  /** Keepalive (or zero-window) probes sent without an answer. */
  probesOut: number;
}

export const TIMER_KEEPALIVE = 2;
/** /proc prints timer values in USER_HZ ticks, which is 100 on every Linux ABI. */
const USER_HZ = 100;

export function procTcpPath(family: 4 | 6): string {
  return family === 6 ? '/proc/net/tcp6' : '/proc/net/tcp';
}

export function procTcpAvailable(family: 4 | 6): boolean {
  return existsSync(procTcpPath(family));
}

/**
 * "ADDR:PORT" as /proc/net/tcp prints it: the address words in host (here
 * little-endian) byte order, each as 8 hex digits, then the port in hex.
 */
export function procSocketKey(address: string, port: number, family: 4 | 6): string {
  const bytes = family === 4 ? address.split('.').map(Number) : ipv6Bytes(address);
  let hex = '';
  for (let w = 0; w < bytes.length; w += 4) {
    for (let i = 3; i >= 0; i--) hex += bytes[w + i]!.toString(16).padStart(2, '0');
  }
  return `${hex.toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

/** Parses the table into "local remote" → state. */
export function parseProcNetTcp(text: string): Map<string, TcpSocketState> {
  const out = new Map<string, TcpSocketState>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    const [tx] = f[4]!.split(':');
    const [tr, when] = f[5]!.split(':');
    out.set(`${f[1]} ${f[2]}`, {
      state: parseInt(f[3]!, 16),
      txQueue: parseInt(tx!, 16),
      timer: parseInt(tr!, 16),
      timerS: parseInt(when!, 16) / USER_HZ,
      retransmits: parseInt(f[6]!, 16),
      probesOut: Number(f[8]),
    });
  }
  return out;
}

type Listener = (state: TcpSocketState | undefined, now: number) => void;

/**
 * Polls the table while someone is watching: one read serves every socket
 * of the run, and nothing is read while all trials are still idling.
 */
export class ProcTcpWatcher {
  private readonly listeners = new Map<string, Listener>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(private readonly family: 4 | 6, private readonly intervalMs = 100) {}

  watch(local: string, remote: string, listener: Listener): () => void {
    const key = `${local} ${remote}`;
    this.listeners.set(key, listener);
    this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
    return () => {
      this.listeners.delete(key);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const table = parseProcNetTcp(await readFile(procTcpPath(this.family), 'utf8'));
      const now = Date.now();
      for (const [key, listener] of [...this.listeners]) listener(table.get(key), now);
    } catch {
      // A failed read is retried on the next tick; the trials' own deadlines still bound them.
    } finally {
      this.reading = false;
    }
  }
}

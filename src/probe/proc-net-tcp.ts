import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { parseProcNetTcp, type SocketEntry } from '../sockets/socket-table.js';
import { normalizeAddress } from '../sockets/endpoint-text.js';
import { endpointText } from '../util/ip-text.js';

/**
 * How the probe sees, without a capture, that a keepalive probe was answered
 * or that its byte was acknowledged (Node exposes neither): its sockets' rows
 * of /proc/net/tcp{,6}, read with the audit's parser, the one that knows the
 * host's byte order.
 */

export function procTcpPath(family: 4 | 6): string {
  return family === 6 ? '/proc/net/tcp6' : '/proc/net/tcp';
}

export function procTcpAvailable(family: 4 | 6): boolean {
  return existsSync(procTcpPath(family));
}

/**
 * One socket's row key: both endpoints as the parser spells them, so that an
 * address as Node or the user wrote it ("::FFFF:127.0.0.1", "2001:DB8:0::1")
 * finds its row.
 */
export function socketPairKey(local: { addr: string; port: number }, remote: { addr: string; port: number }): string {
  const canonical = (e: { addr: string; port: number }) => endpointText({ addr: normalizeAddress(e.addr)?.addr ?? e.addr, port: e.port });
  return `${canonical(local)} ${canonical(remote)}`;
}

/** The table by socketPairKey (the host's byte order unless told). */
export function procTcpTable(text: string, family: 4 | 6, littleEndian?: boolean): Map<string, SocketEntry> {
  const out = new Map<string, SocketEntry>();
  for (const e of parseProcNetTcp(text, family, littleEndian)) out.set(socketPairKey(e.local, e.remote), e);
  return out;
}

type Listener = (state: SocketEntry | undefined, now: number) => void;

/**
 * Polls the table while someone is watching: one read serves every socket
 * of the run, and nothing is read while all trials are still idling.
 */
export class ProcTcpWatcher {
  private readonly listeners = new Map<string, Listener>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    private readonly family: 4 | 6,
    private readonly intervalMs = 100,
  ) {}

  watch(local: { addr: string; port: number }, remote: { addr: string; port: number }, listener: Listener): () => void {
    const key = socketPairKey(local, remote);
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
      const table = procTcpTable(await readFile(procTcpPath(this.family), 'utf8'), this.family);
      const now = Date.now();
      for (const [key, listener] of [...this.listeners]) listener(table.get(key), now);
    } catch {
      // A failed read is retried on the next tick; the trials' own deadlines still bound them.
    } finally {
      this.reading = false;
    }
  }
}

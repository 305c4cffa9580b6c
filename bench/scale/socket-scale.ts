/**
 * The socket section of the scale harness: with N connections (2N
 * ESTABLISHED sockets) held in a namespace of our own, time each socket
 * reader and the commands that read the table (kad audit, kad recommend,
 * kad watch --sockets), all run inside the namespace, with their peak
 * memory (VmHWM from /proc/PID/status, sampled while they run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { holdSockets, type SocketHolders } from './socket-holders.js';
import { sockdiagPath } from '../../src/sockets/read-sockets.js';

const KAD = fileURLToPath(new URL('../../../bin/kad', import.meta.url));
const READ_ONCE = fileURLToPath(new URL('./read-once.js', import.meta.url));
const WATCH_REFRESHES = 4;

function memMB(pid: number): { hwm: number; rss: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { hwm: Math.round(kb('VmHWM') / 1024), rss: Math.round(kb('VmRSS') / 1024) };
  } catch {
    return null;
  }
}

interface Timed {
  ms: number;
  hwmMB: number | null;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, sampling its peak memory every 20 ms (the last sample before exit is close to the peak). */
function timed(args: readonly string[]): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm: number | null = null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d.length + stdout.length < 1 << 20 ? d : ''));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const sample = setInterval(() => {
      const m = child.pid !== undefined ? memMB(child.pid) : null;
      if (m) hwm = Math.max(hwm ?? 0, m.hwm);
    }, 20);
    child.on('close', (status) => {
      clearInterval(sample);
      resolve({ ms: performance.now() - t0, hwmMB: hwm, status, stdout, stderr });
    });
  });
}

const s1 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function rawTools(h: SocketHolders, log: (line: string) => void): Promise<void> {
  const tools: [string, string][] = [
    ['kad-sockdiag (sock_diag, tcp_info)', `${sockdiagPath()} > /dev/null`],
    ['ss -tinoeH (what kad falls back to)', 'ss -tinoeH > /dev/null'],
    ['ss -tinoH (no inode, no cookie)', 'ss -tinoH > /dev/null'],
    ['ss -tinoepH (what kad ran before)', 'ss -tinoepH > /dev/null'],
    ['ss -tnoH state established', 'ss -tnoH state established > /dev/null'],
    ['cat /proc/net/tcp', 'cat /proc/net/tcp > /dev/null'],
  ];
  for (const [name, cmd] of tools) {
    // -p walks every /proc/PID/fd: 57-88 s at 200 k sockets on the 2-core VM, and it grows with the table.
    if (cmd.includes('-tinoepH') && h.connections > 100_000) {
      log(`  tool   ${name.padEnd(38)} skipped above 100 k connections (a minute at 200 k sockets)`);
      continue;
    }
    const r = await timed(h.execArgs(['sh', '-c', cmd]));
    log(`  tool   ${name.padEnd(38)} ${s1(r.ms)}${r.status === 0 ? '' : ` (exit ${r.status}: ${r.stderr.trim().split('\n')[0]})`}`);
  }
}

async function readers(h: SocketHolders, log: (line: string) => void): Promise<void> {
  for (const from of ['sock_diag', 'ss', 'proc']) {
    const r = await timed(h.execArgs([process.execPath, READ_ONCE, from]));
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      const j = JSON.parse(line) as { source: string; count: number; readMs: number; hwmMB: number; fallbackReason: string | null };
      log(
        `  reader ${from.padEnd(10)} → ${j.source}: ${j.count} rows in ${s1(j.readMs)} (process ${s1(r.ms)}, peak ${j.hwmMB} MB)${j.source !== from ? ` fell back: ${j.fallbackReason}` : ''}`,
      );
    } catch {
      log(`  reader ${from}: failed (${r.status}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
  }
}

async function command(h: SocketHolders, name: string, args: string[], log: (line: string) => void): Promise<void> {
  const r = await timed(h.execArgs([process.execPath, KAD, ...args]));
  const tail = r.status === 0 || r.status === 1 ? '' : ` exit ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
  log(`  ${name.padEnd(36)} ${s1(r.ms)}, peak RSS ${r.hwmMB ?? '?'} MB${tail}`);
}

interface SocketStats {
  source: string;
  count: number;
  atRisk: number;
  refreshMs: number;
  skipped: number;
  intervalMs?: number;
}

/** kad watch --sockets until WATCH_REFRESHES socket reads have been reported, then SIGINT: how long each read took, and how long Ctrl-C took. */
function watch(h: SocketHolders, log: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const args = h.execArgs([process.execPath, KAD, 'watch', '-i', 'lo', '--sockets', '--refresh', '1000', '--stats-interval', '1000']);
    const t0 = performance.now();
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: SocketStats[] = [];
    let hwm = 0;
    let rss = 0;
    let stopAt: number | null = null;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const sample = setInterval(() => {
      const m = child.pid !== undefined ? memMB(child.pid) : null;
      if (!m) return;
      hwm = Math.max(hwm, m.hwm);
      rss = m.rss;
    }, 50);
    const stop = (): void => {
      if (stopAt !== null) return;
      stopAt = performance.now();
      child.kill('SIGINT');
    };
    const giveUp = setTimeout(stop, 120_000);
    createInterface({ input: child.stdout }).on('line', (l) => {
      let o: { type?: string; sockets?: SocketStats };
      try {
        o = JSON.parse(l) as typeof o;
      } catch {
        return;
      }
      if (o.type !== 'stats' || !o.sockets) return;
      const last = seen.at(-1);
      if (last && last.refreshMs === o.sockets.refreshMs && last.count === o.sockets.count) return;
      seen.push(o.sockets);
      if (seen.length >= WATCH_REFRESHES) stop();
    });
    child.on('close', (status) => {
      clearInterval(sample);
      clearTimeout(giveUp);
      const end = performance.now();
      for (const s of seen)
        log(
          `  kad watch refresh: ${s.source} ${s.count} sockets, ${s.atRisk} at risk, read+judge ${s1(s.refreshMs)}, skipped ${s.skipped}${s.intervalMs !== undefined ? `, interval ${s1(s.intervalMs)}` : ''}`,
        );
      log(
        `  kad watch: ${seen.length} refreshes in ${s1((stopAt ?? end) - t0)}, peak RSS ${hwm} MB (last ${rss} MB), SIGINT → exit ${stopAt === null ? '?' : s1(end - stopAt)}, status ${status}${seen.length === 0 ? `: ${stderr.trim().split('\n')[0] ?? ''}` : ''}`,
      );
      resolve();
    });
  });
}

export async function socketScale(opts: { connections: number; log: (line: string) => void }): Promise<void> {
  const { log } = opts;
  const t0 = performance.now();
  const h = await holdSockets(opts.connections);
  try {
    const counted = spawnSync('ip', h.execArgs(['cat', '/proc/net/sockstat']), { encoding: 'utf8' }).stdout;
    log(
      `socket scale: ${opts.connections} connections held in ${h.ns} by ${h.pids.length} processes in ${s1(performance.now() - t0)} (${/TCP: inuse (\d+)/.exec(counted)?.[1] ?? '?'} TCP sockets)`,
    );
    await rawTools(h, log);
    await readers(h, log);
    await command(h, 'kad audit', ['audit'], log);
    await command(h, 'kad recommend --idle-timeout 350s', ['recommend', '--idle-timeout', '350s'], log);
    await watch(h, log);
  } finally {
    h.close();
  }
}

/**
 * One socket-table read through kad's own reader, starting the fallback
 * chain at <from> (sock_diag | ss | proc), run inside the namespace by
 * socket-scale.ts. Prints one JSON line: source, rows, read time, memory.
 */
import { readFileSync } from 'node:fs';
import { readSockets } from '../../src/sockets/read-sockets.js';
import type { SocketSource } from '../../src/sockets/socket-types.js';

const from = (process.argv[2] ?? 'sock_diag') as SocketSource;
const r = await readSockets({ from });
const status = readFileSync('/proc/self/status', 'utf8');
const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
process.stdout.write(
  `${JSON.stringify({ from, source: r.source, count: r.sockets.length, readMs: Math.round(r.readMs), fallbackReason: r.fallbackReason, hwmMB: Math.round(kb('VmHWM') / 1024) })}\n`,
);

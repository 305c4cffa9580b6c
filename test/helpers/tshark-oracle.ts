import { spawnSync } from 'node:child_process';
import { kadEvents } from './run-kad.js';

export interface TsharkFrame {
  frame: number;
  stream: number;
  keepAlive: boolean;
  keepAliveAck: boolean;
  reset: boolean;
  zeroWindowProbe: boolean;
  retransmission: boolean;
}

const FIELDS = [
  'frame.number',
  'tcp.stream',
  'tcp.analysis.keep_alive',
  'tcp.analysis.keep_alive_ack',
  'tcp.flags.reset',
  'tcp.analysis.zero_window_probe',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order',
];

/** Whether a tshark flag field is set (tshark prints it empty, 0 or False when not). */
export const present = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v !== 'False';

/** tshark's `fields` of each packet of a capture (only those matching `filter` when given), one row of values per packet. */
export function tsharkFieldRows(file: string, fields: readonly string[], filter?: string): string[][] {
  const args = [
    '-n',
    '-r',
    file,
    ...(filter ? ['-Y', filter] : []),
    '-T',
    'fields',
    '-E',
    'separator=/t',
    ...fields.flatMap((f) => ['-e', f]),
  ];
  const r = spawnSync('tshark', args, { maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr.toString()}`);
  return r.stdout
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
}

/** tshark's own per-packet TCP analysis of a capture. */
export function tsharkFrames(file: string): TsharkFrame[] {
  return tsharkFieldRows(file, FIELDS, 'tcp').map((v) => ({
    frame: Number(v[0]),
    stream: Number(v[1]),
    keepAlive: present(v[2]),
    keepAliveAck: present(v[3]),
    reset: present(v[4]),
    zeroWindowProbe: present(v[5]),
    retransmission: present(v[6]) || present(v[7]) || present(v[8]) || present(v[9]),
  }));
}

/**
 * Every disagreement between `kad analyze --events` and tshark on one
 * capture, as readable lines (empty = they agree on every packet).
 */
export function compareWithTshark(file: string): string[] {
  const ts = tsharkFrames(file);
  const ours = new Map<number, Record<string, unknown>>();
  for (const e of kadEvents(file)) ours.set(e.frame as number, e);
  const diffs: string[] = [];
  if (ts.length !== ours.size) diffs.push(`${file}: tshark sees ${ts.length} TCP packets, kad ${ours.size}`);
  for (const t of ts) {
    const e = ours.get(t.frame);
    if (!e) {
      diffs.push(`${file} frame ${t.frame}: missing from kad --events`);
      continue;
    }
    const kind = e.kind as string;
    if (e.conn !== t.stream + 1) diffs.push(`${file} frame ${t.frame}: tshark tcp.stream ${t.stream} ≠ kad conn ${String(e.conn)} - 1`);
    // tshark has no notion of a frame captured twice (it sees a retransmission, or another keepalive): editcap -D is the oracle there (duplicate-frames.test.ts).
    if (kind === 'duplicate') continue;
    const check = (what: string, theirs: boolean, mine: boolean) => {
      if (theirs !== mine) diffs.push(`${file} frame ${t.frame}: tshark ${what}=${theirs}, kad kind=${kind}`);
    };
    check('keep_alive', t.keepAlive, kind === 'keepalive');
    check('keep_alive_ack', t.keepAliveAck, kind === 'keepalive_ack');
    check('flags.reset', t.reset, kind === 'rst');
    if (kind !== 'rst') check('zero_window_probe', t.zeroWindowProbe, kind === 'zero_window_probe');
    if (kind === 'retransmission' && !t.retransmission) diffs.push(`${file} frame ${t.frame}: kad says retransmission, tshark does not`);
  }
  return diffs;
}

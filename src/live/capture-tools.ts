import { fileURLToPath } from 'node:url';
import { DEFAULT_BUFFER_SIZE, DEFAULT_FILTER, DEFAULT_SNAPLEN } from './cap-feed.js';

/** What a capture child is asked to capture. */
export interface ChildCaptureSpec {
  device: string;
  filter?: string;
  snaplen?: number;
  bufferSize?: number;
}

/**
 * A program that captures live and writes a pcap stream on stdout, and how
 * kad talks to it: its arguments, how its drop counter is asked for and
 * read from stderr, and the fix when it is missing.
 */
export interface CaptureChildTool {
  name: string;
  bin: string;
  args: string[];
  /** The BPF filter it was given ('' for none), for the label. */
  filter: string;
  /** Sent every second to make it report its counters; null: it reports on its own. */
  statsSignal: NodeJS.Signals | null;
  /** Its cumulative drop count, when the stderr line is its counters. */
  drops(line: string): number | null;
  /** A stderr line that is neither counters nor a complaint. */
  chatter(line: string): boolean;
  /** Its own name prefix on stderr lines, stripped in the one-line error. */
  prefix: string;
  notFound: string;
}

/** tcpdump's counters line: "tcpdump: 5 packets captured, 7 packets received by filter, 2 packets dropped by kernel". */
const DROPPED_BY_KERNEL = /(\d+) packets? dropped by kernel/;

/**
 * tcpdump -U --immediate-mode: every packet reaches kad as it comes, at the
 * cost of a write() per packet; SIGUSR1 makes it print pcap_stats and go on.
 */
export function tcpdumpTool(o: ChildCaptureSpec, bin = 'tcpdump'): CaptureChildTool {
  const filter = o.filter ?? DEFAULT_FILTER;
  // -B is in KiB.
  const args = ['-i', o.device, '-n', '-U', '--immediate-mode', '-s', String(o.snaplen ?? DEFAULT_SNAPLEN)];
  args.push('-B', String(Math.ceil((o.bufferSize ?? DEFAULT_BUFFER_SIZE) / 1024)), '-w', '-');
  if (filter) args.push(filter);
  return {
    name: 'tcpdump',
    bin,
    args,
    filter,
    statsSignal: 'SIGUSR1',
    drops: (line) => {
      const m = DROPPED_BY_KERNEL.exec(line);
      return m ? Number(m[1]) : null;
    },
    chatter: (line) => /^tcpdump: (listening on|data link type)/.test(line) || /packets? (captured|received by filter)$/.test(line),
    prefix: 'tcpdump: ',
    notFound: `${bin} not found: install it (apt-get install tcpdump) or capture with --capture-with cap`,
  };
}

/** native/capture/kad-capture, built by scripts/install.sh; KAD_CAPTURE overrides (tests). */
export function kadCapturePath(): string {
  return process.env.KAD_CAPTURE ?? fileURLToPath(new URL('../../../native/capture/kad-capture', import.meta.url));
}

/** kad-capture's counters line (native/capture/kad-capture.c). */
const KAD_CAPTURE_STATS = /^kad-capture: stats received=\d+ dropped=(\d+) ifdropped=(\d+)$/;

/**
 * How long a packet may wait in the kernel ring before kad-capture hands it
 * on (TPACKET_V3's block retire timeout): short beside kad's one-second
 * refresh, long enough that a busy link is read a block, not a packet, at a time.
 */
export const KAD_CAPTURE_FLUSH_MS = 100;

/** kad's own libpcap reader: the kernel ring drained a block at a time, one write per batch, counters every second. */
export function kadCaptureTool(o: ChildCaptureSpec, bin = kadCapturePath()): CaptureChildTool {
  const filter = o.filter ?? DEFAULT_FILTER;
  const args = ['-i', o.device, '-s', String(o.snaplen ?? DEFAULT_SNAPLEN), '-B', String(o.bufferSize ?? DEFAULT_BUFFER_SIZE)];
  args.push('-t', String(KAD_CAPTURE_FLUSH_MS));
  if (filter) args.push(filter);
  return {
    name: 'kad-capture',
    bin,
    args,
    filter,
    statsSignal: null,
    drops: (line) => {
      const m = KAD_CAPTURE_STATS.exec(line);
      // ps_ifdrop: dropped by the interface before the capture could see them; lost all the same.
      return m ? Number(m[1]) + Number(m[2]) : null;
    },
    chatter: () => false,
    prefix: 'kad-capture: ',
    notFound: `${bin} is not built: run make -C native/capture (needs libpcap-dev; scripts/install.sh does both), or capture with --capture-with cap`,
  };
}

import { execFile } from 'node:child_process';

/** The few per-frame facts the capture checks need, as tshark (not kad) decodes them. */
export interface Frame {
  n: number;
  t: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  ttl: number;
  flags: number;
  len: number;
  keepAlive: boolean;
  keepAliveAck: boolean;
  retransmission: boolean;
  /** Relative acknowledgement number (1 acknowledges just the peer's SYN); 0 without ACK. */
  ack: number;
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, ACK: 0x10 } as const;

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'ip.src',
  'ipv6.src',
  'tcp.srcport',
  'ip.dst',
  'ipv6.dst',
  'tcp.dstport',
  'ip.ttl',
  'ipv6.hlim',
  'tcp.flags',
  'tcp.len',
  'tcp.analysis.keep_alive',
  'tcp.analysis.keep_alive_ack',
  'tcp.analysis.retransmission',
  'tcp.ack',
];

export function readFrames(file: string): Promise<Frame[]> {
  const args = ['-r', file, '-n', '-Y', 'tcp', '-T', 'fields', '-E', 'separator=|', ...FIELDS.flatMap((f) => ['-e', f])];
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`tshark ${file}: ${stderr.trim().split('\n').pop() ?? err.message}`));
        return;
      }
      resolve(stdout.split('\n').filter(Boolean).map(parseLine));
    });
  });
}

function parseLine(line: string): Frame {
  const [n, t, src4, src6, sport, dst4, dst6, dport, ttl4, hlim6, flags, len, ka, kaAck, retrans, ack] = line.split('|');
  return {
    n: Number(n),
    t: Number(t),
    src: src4 || src6 || '',
    sport: Number(sport),
    dst: dst4 || dst6 || '',
    dport: Number(dport),
    ttl: Number(ttl4 || hlim6),
    flags: Number(flags),
    len: Number(len),
    // Analysis flags print as "1" when present, empty when not.
    keepAlive: ka !== '',
    keepAliveAck: kaAck !== '',
    retransmission: retrans !== '',
    ack: Number(ack || 0),
  };
}

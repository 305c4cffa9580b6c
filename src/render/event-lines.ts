import type { PacketRecord } from '../capture/packet-record.js';
import { flagLetters, type DecodedTcp } from '../decode/decoded-tcp.js';
import type { PacketEvent } from '../report/analysis-report.js';
import { KIND_NAMES } from '../track/packet-kind.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { addressText } from '../util/ip-text.js';
import { epochText } from '../util/time-text.js';

/** One `--events` JSON object for the packet just tracked. */
export function packetEvent(tracker: TcpTracker, pkt: DecodedTcp, rec: PacketRecord, kind: number, file?: string): PacketEvent {
  const v6 = pkt.ipVersion === 6;
  const ev: PacketEvent = {
    frame: rec.frame,
    ts: epochText(rec.tsSec, rec.tsNsec),
    conn: tracker.lastConn + 1,
    dir: tracker.lastDir === 0 ? 'c2s' : 's2c',
    kind: KIND_NAMES[kind]!,
    flags: flagLetters(pkt.flags),
    seq: pkt.seq,
    ack: pkt.ack,
    len: pkt.payloadLen,
    ttl: pkt.ttl,
    win: pkt.window,
    src: addressText(pkt.src, 0, v6),
    dst: addressText(pkt.dst, 0, v6),
    ipId: pkt.ipId >= 0 ? pkt.ipId : null,
  };
  return file === undefined ? ev : { file, ...ev };
}

/** Output is handed to the stream in pieces of this size. */
const CHUNK = 1 << 20;

/**
 * Batches output so that millions of lines cost a few large writes.
 */
export class LineWriter {
  private buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;

  // A reader that goes away (EPIPE) is handled once for the whole process, in cli/main.ts.
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  line(s: string): void {
    this.write(s);
    this.write('\n');
  }

  /** Text as is (no newline added), encoded straight into the output buffer. */
  write(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (s.length * 3 > this.buf.length - this.used) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.out.write(s);
        return;
      }
    }
    this.used += this.buf.write(s, this.used);
  }

  flush(): void {
    if (this.used === 0) return;
    // A fresh buffer each time: the stream may still hold the old one.
    this.out.write(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
  }

  /** Resolves once everything written so far has been handed to the OS. */
  async drain(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => this.out.write('', () => resolve()));
  }
}

import { CaptureError } from '../capture/capture-error.js';
import type { PacketHandler } from '../capture/packet-record.js';
import { readCapture } from '../capture/read-capture.js';
import { UserError } from '../model/errors.js';
import type { PcapRecordRun } from '../capture/pcap.js';
import type { PcapngBlockRun } from '../capture/pcapng-run.js';
import type { FeedReadOptions, PacketFeed } from './packet-feed.js';

/**
 * A pcap/pcapng stream on stdin (`tcpdump -U -w - | kad live -r -`, with the
 * kernel's timestamps) or a capture file read as fast as possible.
 */
export class StdinFeed implements PacketFeed {
  readonly label: string;
  private stopped = false;
  private abort: (() => void) | null = null;
  private dropsReported: number | null = null;

  constructor(readonly path: string) {
    this.label = path === '-' ? 'stdin (pcap stream, kernel timestamps)' : `${path} (capture file, read as fast as possible)`;
  }

  async start(onPacket: PacketHandler, opts: FeedReadOptions = {}): Promise<void> {
    if (this.stopped) return;
    // After stop() the rest of the stream is discarded, not analysed.
    const guarded: PacketHandler = (rec) => {
      if (!this.stopped) onPacket(rec);
    };
    const stopped = new Promise<void>((resolve) => (this.abort = resolve));
    // Runs of records and packet blocks straight into the tracker (kad watch -r at analyze's speed); none once stopped.
    const run = opts.pcapRecords;
    const pcapRecords: PcapRecordRun | undefined = run && {
      get frame() {
        return run.frame;
      },
      take: (buf, start, end, le, nano, linkType, frame) => (this.stopped ? start : run.take(buf, start, end, le, nano, linkType, frame)),
    };
    const blocks = opts.pcapngBlocks;
    const pcapngBlocks: PcapngBlockRun | undefined = blocks && {
      get frame() {
        return blocks.frame;
      },
      get drops() {
        return blocks.drops;
      },
      get dropsSeen() {
        return blocks.dropsSeen;
      },
      interfaces: (list) => blocks.interfaces(list),
      take: (buf, start, end, le, frame, drops) => (this.stopped ? start : blocks.take(buf, start, end, le, frame, drops)),
    };
    const read = readCapture(this.path, guarded, { chunkBuffer: opts.chunkBuffer, pcapRecords, pcapngBlocks }).then(
      (summary) => {
        this.dropsReported = summary.dropsReported;
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (err instanceof CaptureError) throw new UserError(err.message);
        throw err;
      },
    );
    try {
      await Promise.race([read, stopped]);
    } finally {
      this.abort = null;
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort?.();
    // A pipe's writer may never close it: stop reading so the process can exit.
    if (this.path === '-') process.stdin.destroy();
  }

  /** Drops recorded in the capture itself (pcapng interface statistics), once read. */
  drops(): number | null {
    return this.dropsReported;
  }
}

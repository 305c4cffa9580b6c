import type { PacketHandler } from '../capture/packet-record.js';
import type { ReadCaptureOptions } from '../capture/read-capture.js';

/** How a pipeline would like a capture read (CapturePipeline.readOptions()): feeds that read one may use it. */
export type FeedReadOptions = Pick<ReadCaptureOptions, 'chunkBuffer' | 'pcapRecords' | 'pcapngBlocks'>;

/**
 * Anything that delivers packets over time: a live libpcap capture, a pcap
 * stream on stdin, or a capture file replayed at some speed. The live model,
 * the TUI and `kad watch` only see this interface.
 */
export interface PacketFeed {
  /** Shown to the user, e.g. "eth0 (libpcap via cap, arrival timestamps)", "stdin (pcap stream)", "replay x.pcap at 10×". */
  readonly label: string;
  /**
   * Deliver packets to onPacket (synchronously, one reused record at a time)
   * until the source ends or stop() is called; resolves then. Rejects with a
   * UserError-style one-line message when the source cannot be opened.
   */
  start(onPacket: PacketHandler, read?: FeedReadOptions): Promise<void>;
  stop(): void;
  /** Replays can pause; live sources may ignore it. */
  setPaused?(paused: boolean): void;
  /** The source stamps packets when they reach kad, not in the kernel (cap has no kernel timestamps). */
  readonly arrivalTimestamps?: boolean;
  /** Packets the source itself says it lost, when it knows (null: unknown). */
  drops?(): number | null;
  /**
   * At most how many packets on the captured link the source has not
   * delivered (null: no bound known). Not a drop count: the link also
   * carries packets the filter leaves out, and packets still in the kernel's
   * buffer. Zero proves nothing was missed.
   */
  missedAtMost?(): number | null;
}

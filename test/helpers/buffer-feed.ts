import type { PacketHandler } from '../../src/capture/packet-record.js';
import { readCaptureBuffer } from '../../src/capture/read-capture.js';
import type { PacketFeed } from '../../src/live/packet-feed.js';

/** Delivers one capture file in a single burst, like a fast replay; a source that lost nothing. */
export class BufferFeed implements PacketFeed {
  constructor(
    readonly label: string,
    private readonly data: Buffer,
  ) {}
  async start(onPacket: PacketHandler): Promise<void> {
    readCaptureBuffer(this.data, onPacket, { displayName: this.label });
  }
  stop(): void {}
  drops(): number | null {
    return 0;
  }
}

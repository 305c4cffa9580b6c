import { CaptureError } from './capture-error.js';
import type { FormatParser } from './format-parser.js';
import type { CaptureSummary, PacketHandler } from './packet-record.js';
import { PcapParser, pcapMagicAt, type PcapRecordRun } from './pcap.js';
import { PcapngParser, PCAPNG_SHB } from './pcapng.js';
import type { PcapngBlockRun } from './pcapng-run.js';
import { hex32, u32 } from './bytes.js';

/**
 * Picks pcap or pcapng from the first four bytes of the (decompressed)
 * stream, then hands every later call to that format's parser.
 */
export class CaptureParser {
  private inner: FormatParser | null = null;
  private format: CaptureSummary['format'] = 'pcap';

  constructor(
    private readonly file: string,
    private readonly onPacket: PacketHandler,
    /** Takes runs of classic pcap records at once, when given. */
    private readonly pcapRun?: PcapRecordRun,
    /** Takes runs of pcapng packet blocks at once, when given. */
    private readonly pcapngRun?: PcapngBlockRun,
  ) {}

  get need(): number {
    return this.inner === null ? 4 : this.inner.need;
  }

  parse(buf: Buffer, pos: number, end: number, base: number): number {
    if (this.inner === null) {
      if (end - pos < 4) return pos;
      this.inner = this.select(buf, pos, base);
    }
    return this.inner.parse(buf, pos, end, base);
  }

  private select(buf: Buffer, pos: number, base: number): FormatParser {
    if (pcapMagicAt(buf, pos) !== null) {
      this.format = 'pcap';
      return new PcapParser(this.file, this.onPacket, this.pcapRun);
    }
    const magic = u32(buf, pos, false);
    if (magic === PCAPNG_SHB) {
      this.format = 'pcapng';
      return new PcapngParser(this.file, this.onPacket, this.pcapngRun);
    }
    throw new CaptureError(this.file, base + pos, `not a pcap or pcapng file (magic ${hex32(magic)})`);
  }

  /**
   * Called once the stream has ended with `left` unconsumed bytes at stream
   * offset `offset`; throws when the capture did not end on a record boundary.
   */
  finish(offset: number, left: number, emptyReason: string): void {
    if (offset === 0 && left === 0) throw new CaptureError(this.file, null, emptyReason);
    if (left === 0) return;
    if (this.inner === null) {
      throw new CaptureError(this.file, offset, `capture cut short in the file header (needs 4 bytes, ${left} left)`);
    }
    throw this.inner.truncated(offset, left);
  }

  summary(gzip: boolean, bytes: number): CaptureSummary {
    const p = this.inner;
    return {
      format: this.format,
      gzip,
      frames: p === null ? 0 : p.frames,
      bytes,
      linkTypes: p === null ? [] : p.linkTypes(),
      tsResolutionNs: p === null ? 1000 : p.tsResolutionNs(),
      dropsReported: p === null ? null : p.dropsReported(),
    };
  }
}

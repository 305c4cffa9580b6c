import { CaptureError } from './capture-error.js';
import type { FormatParser } from './format-parser.js';
import { newPacketRecord, type PacketHandler } from './packet-record.js';
import { hex32, u32, ViewCache } from './bytes.js';

/** Classic libpcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html). */

const HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
/** Anything bigger is corruption, not a frame (libpcap's own maximum snaplen). */
export const PCAP_MAX_CAPLEN = 262144;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;

export type PcapMagic = 'us' | 'ns' | 'kuznetzov';

/** Recognises the 4 bytes at pos (a stream's first) in either byte order; null when they are not a pcap magic or not all there. */
export function pcapMagicAt(buf: Buffer, pos: number): PcapMagic | null {
  if (pos < 0 || pos + 4 > buf.length) return null;
  const be = buf.readUInt32BE(pos);
  const le = buf.readUInt32LE(pos);
  if (be === PCAP_MAGIC_US || le === PCAP_MAGIC_US) return 'us';
  if (be === PCAP_MAGIC_NS || le === PCAP_MAGIC_NS) return 'ns';
  if (be === PCAP_MAGIC_KUZNETZOV || le === PCAP_MAGIC_KUZNETZOV) return 'kuznetzov';
  return null;
}

/**
 * A consumer that takes whole runs of records at once (the WebAssembly
 * tracker), so that no JavaScript runs per frame. It takes the complete,
 * plausible records from `start` and returns where it stopped; the parser
 * carries on from there (a cut or corrupt record is still its to handle).
 */
export interface PcapRecordRun {
  /** Frame number of the last record the latest take() consumed. */
  readonly frame: number;
  take(buf: Buffer, start: number, end: number, littleEndian: boolean, nano: boolean, linkType: number, frame: number): number;
}

export class PcapParser implements FormatParser {
  need = HEADER_LEN;
  frames = 0;
  private headerDone = false;
  private le = true;
  private nano = false;
  private linkType = 0;
  private readonly rec = newPacketRecord();
  private readonly view = new ViewCache();

  constructor(
    private readonly file: string,
    private readonly onPacket: PacketHandler,
    private readonly run?: PcapRecordRun,
  ) {}

  parse(buf: Buffer, start: number, end: number, base: number): number {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < HEADER_LEN) return pos;
      this.readHeader(buf, pos, base);
      pos += HEADER_LEN;
    }
    // Locals rather than fields: this loop runs once per packet.
    const rec = this.rec;
    const onPacket = this.onPacket;
    const le = this.le;
    const fracToNs = this.nano ? 1 : 1000;
    const fracPerSec = this.nano ? 1_000_000_000 : 1_000_000;
    let frame = this.frames;
    let need = RECORD_HEADER_LEN;
    rec.buf = buf;
    const dv = this.view.of(buf);
    try {
      if (this.run !== undefined) {
        pos = this.run.take(buf, pos, end, le, this.nano, this.linkType, frame);
        frame = this.run.frame;
      }
      while (end - pos >= RECORD_HEADER_LEN) {
        const capLen = dv.getUint32(pos + 8, le);
        if (capLen > PCAP_MAX_CAPLEN) {
          throw new CaptureError(this.file, base + pos, `packet record claims ${capLen} captured bytes (limit ${PCAP_MAX_CAPLEN})`);
        }
        const total = RECORD_HEADER_LEN + capLen;
        if (end - pos < total) {
          need = total;
          break;
        }
        let sec = dv.getUint32(pos, le);
        let frac = dv.getUint32(pos + 4, le);
        if (frac >= fracPerSec) {
          // Some writers carry whole seconds in the fraction; fold them back.
          sec += Math.floor(frac / fracPerSec);
          frac %= fracPerSec;
        }
        rec.tsSec = sec;
        rec.tsNsec = frac * fracToNs;
        rec.capLen = capLen;
        rec.origLen = dv.getUint32(pos + 12, le);
        rec.offset = pos + RECORD_HEADER_LEN;
        rec.fileOffset = base + pos;
        rec.frame = ++frame;
        onPacket(rec);
        pos += total;
      }
    } finally {
      this.frames = frame;
    }
    this.need = need;
    return pos;
  }

  private readHeader(buf: Buffer, pos: number, base: number): void {
    const kind = pcapMagicAt(buf, pos);
    if (kind === 'kuznetzov') {
      throw new CaptureError(this.file, base + pos, 'modified (Kuznetzov) pcap format is not supported; convert it with `editcap -F pcap`');
    }
    if (kind === null) {
      throw new CaptureError(this.file, base + pos, `not a pcap file (magic ${hex32(u32(buf, pos, false))})`);
    }
    this.nano = kind === 'ns';
    // The magic reads as a1b2.... in the writer's byte order.
    this.le = buf[pos] !== 0xa1;
    // The top 4 bits of 'network' may carry FCS length information.
    this.linkType = u32(buf, pos + 20, this.le) & 0x0fffffff;
    this.rec.linkType = this.linkType;
    this.rec.interfaceId = 0;
    this.headerDone = true;
  }

  truncated(offset: number, left: number): CaptureError {
    if (!this.headerDone) {
      return new CaptureError(this.file, offset, `capture cut short in the pcap file header (needs ${HEADER_LEN} bytes, ${left} left)`);
    }
    const what = this.need === RECORD_HEADER_LEN ? 'packet record header' : 'packet record';
    return new CaptureError(this.file, offset, `capture cut short in the middle of a ${what} (needs ${this.need} bytes, ${left} left)`);
  }

  linkTypes(): number[] {
    return this.headerDone ? [this.linkType] : [];
  }

  tsResolutionNs(): number {
    return this.nano ? 1 : 1000;
  }

  dropsReported(): number | null {
    return null;
  }
}

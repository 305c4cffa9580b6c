import { CaptureError } from './capture-error.js';
import type { FormatParser } from './format-parser.js';
import { newPacketRecord, type PacketHandler, type PacketRecord } from './packet-record.js';
import { hex32, i64, u16, u32, u64, ViewCache } from './bytes.js';
import { makeUnit, setTicks, type TsUnit } from './timestamp.js';
import {
  PCAPNG_EPB as EPB,
  PCAPNG_IDB as IDB,
  PCAPNG_ISB as ISB,
  PCAPNG_MAX_BLOCK,
  PCAPNG_MIN_BLOCK as MIN_BLOCK,
  PCAPNG_PB_OBSOLETE as PB_OBSOLETE,
  PCAPNG_SHB,
  PCAPNG_SPB as SPB,
} from './pcapng-blocks.js';
import type { PcapngBlockRun } from './pcapng-run.js';

/** pcapng (draft-ietf-opsawg-pcapng): blocks of self-describing length. */

export { PCAPNG_MAX_BLOCK, PCAPNG_SHB } from './pcapng-blocks.js';

/**
 * Blocks that tshark 4.0 turns into frames of their own: custom blocks
 * (copiable or not), systemd journal entries and sysdig events. Counting
 * them keeps our frame numbers equal to the ones users see in Wireshark.
 */
const FRAME_LIKE_BLOCKS: readonly number[] = [0x00000bad, 0x40000bad, 0x00000009, 0x00000204, 0x00000216, 0x00000221];

const MIN_SHB = 28;

const OPT_END = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const EPB_DROPCOUNT = 4;
const ISB_IFDROP = 5;
const ISB_OSDROP = 7;

interface Iface {
  linkType: number;
  /** 0 means no limit. */
  snaplen: number;
  unit: TsUnit;
  /** Index over the whole file, so ISB counters from different sections never collide. */
  key: number;
  used: boolean;
}

export class PcapngParser implements FormatParser {
  need = MIN_BLOCK;
  frames = 0;
  private le = true;
  private ifaces: Iface[] = [];
  private ifaceCount = 0;
  private finestTickNs = Infinity;
  private readonly usedLinkTypes: number[] = [];
  /** Latest ISB drop total per interface key (ISB counters are cumulative). */
  private readonly isbDrops = new Map<number, number>();
  private packetDrops = 0;
  private packetDropsSeen = false;
  private readonly rec = newPacketRecord();
  private readonly view = new ViewCache();
  /** The interfaces changed since the run last heard of them. */
  private ifacesChanged = true;

  constructor(
    private readonly file: string,
    private readonly onPacket: PacketHandler,
    private readonly run?: PcapngBlockRun,
  ) {}

  parse(buf: Buffer, start: number, end: number, base: number): number {
    const rec = this.rec;
    const onPacket = this.onPacket;
    let le = this.le;
    let pos = start;
    let need = MIN_BLOCK;
    rec.buf = buf;
    const dv = this.view.of(buf);
    const run = this.run;
    while (end - pos >= MIN_BLOCK) {
      if (run !== undefined) {
        pos = this.walk(run, buf, pos, end, le);
        if (end - pos < MIN_BLOCK) break;
      }
      // One block the run did not take. The SHB type reads the same in both byte orders; its magic decides the order of the rest.
      const type = dv.getUint32(pos, le);
      if (type === PCAPNG_SHB) le = this.byteOrder(buf, pos, base);
      const len = dv.getUint32(pos + 4, le);
      if (len < MIN_BLOCK || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK) {
        throw this.error(base + pos, `pcapng block length ${len} is invalid`);
      }
      if (end - pos < len) {
        need = len;
        break;
      }
      const trailer = dv.getUint32(pos + len - 4, le);
      if (trailer !== len) {
        throw this.error(base + pos, `pcapng block length at its end (${trailer}) does not match its start (${len})`);
      }
      if (type === EPB) {
        if (len < 32) throw this.error(base + pos, `pcapng packet block length ${len} is too short`);
        const ifId = dv.getUint32(pos + 8, le);
        const iface = this.iface(ifId, base + pos);
        const capLen = dv.getUint32(pos + 20, le);
        if (capLen > len - 32) {
          throw this.error(base + pos, `pcapng packet block claims ${capLen} captured bytes but holds only ${len - 32}`);
        }
        setTicks(rec, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), iface.unit);
        rec.capLen = capLen;
        rec.origLen = dv.getUint32(pos + 24, le);
        rec.offset = pos + 28;
        const optStart = 28 + ((capLen + 3) & ~3);
        if (optStart < len - 4) this.packetOptions(buf, pos + optStart, pos + len - 4, le, base + pos);
        this.deliver(rec, iface, ifId, base + pos, onPacket);
      } else if (type === SPB) {
        if (len < 16) throw this.error(base + pos, `pcapng simple packet block length ${len} is too short`);
        const iface = this.iface(0, base + pos);
        const origLen = dv.getUint32(pos + 8, le);
        let capLen = Math.min(origLen, len - 16);
        if (iface.snaplen !== 0 && capLen > iface.snaplen) capLen = iface.snaplen;
        // No timestamp in an SPB: report the epoch rather than invent one.
        rec.tsSec = 0;
        rec.tsNsec = 0;
        rec.capLen = capLen;
        rec.origLen = origLen;
        rec.offset = pos + 12;
        this.deliver(rec, iface, 0, base + pos, onPacket);
      } else if (type === PB_OBSOLETE) {
        if (len < 32) throw this.error(base + pos, `pcapng packet block length ${len} is too short`);
        const ifId = dv.getUint16(pos + 8, le);
        const iface = this.iface(ifId, base + pos);
        const capLen = dv.getUint32(pos + 20, le);
        if (capLen > len - 32) {
          throw this.error(base + pos, `pcapng packet block claims ${capLen} captured bytes but holds only ${len - 32}`);
        }
        const drops = dv.getUint16(pos + 10, le);
        // 0xFFFF means "unknown" in this block type.
        if (drops !== 0xffff) {
          this.packetDrops += drops;
          this.packetDropsSeen = true;
        }
        setTicks(rec, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), iface.unit);
        rec.capLen = capLen;
        rec.origLen = dv.getUint32(pos + 24, le);
        rec.offset = pos + 28;
        this.deliver(rec, iface, ifId, base + pos, onPacket);
      } else if (type === PCAPNG_SHB) {
        this.sectionHeader(buf, pos, len, le, base);
      } else if (type === IDB) {
        this.interfaceDescription(buf, pos, len, le, base);
      } else if (type === ISB) {
        this.interfaceStatistics(buf, pos, len, le, base);
      } else if (FRAME_LIKE_BLOCKS.includes(type)) {
        // No link-layer frame to deliver, but Wireshark numbers it as a frame.
        this.frames++;
      }
      // Any other block type (name resolution, decryption secrets...) is skipped whole.
      pos += len;
    }
    this.le = le;
    this.need = need;
    return pos;
  }

  /** Lets the run take the packet blocks from `pos` on; where it stopped. */
  private walk(run: PcapngBlockRun, buf: Buffer, pos: number, end: number, le: boolean): number {
    if (this.ifacesChanged) {
      run.interfaces(this.ifaces);
      this.ifacesChanged = false;
    }
    const stop = run.take(buf, pos, end, le, this.frames, this.packetDrops);
    if (stop !== pos) {
      this.frames = run.frame;
      this.packetDrops = run.drops;
      if (run.dropsSeen) this.packetDropsSeen = true;
    }
    return stop;
  }

  private deliver(rec: PacketRecord, iface: Iface, ifId: number, offset: number, onPacket: PacketHandler): void {
    rec.linkType = iface.linkType;
    rec.interfaceId = ifId;
    rec.fileOffset = offset;
    rec.frame = ++this.frames;
    if (!iface.used) {
      iface.used = true;
      this.ifacesChanged = true;
      if (!this.usedLinkTypes.includes(iface.linkType)) this.usedLinkTypes.push(iface.linkType);
    }
    onPacket(rec);
  }

  private iface(ifId: number, offset: number): Iface {
    const iface = this.ifaces[ifId];
    if (iface === undefined) {
      throw this.error(
        offset,
        `pcapng packet block refers to interface ${ifId}, which was never defined (${this.ifaces.length} in this section)`,
      );
    }
    return iface;
  }

  /** Reads the byte-order magic and returns whether the new section is little-endian. */
  private byteOrder(buf: Buffer, pos: number, base: number): boolean {
    const bom = u32(buf, pos + 8, false);
    if (bom === 0x1a2b3c4d) return false;
    if (bom === 0x4d3c2b1a) return true;
    throw this.error(base + pos, `pcapng section header has a bad byte-order magic (${hex32(bom)})`);
  }

  private sectionHeader(buf: Buffer, pos: number, len: number, le: boolean, base: number): void {
    if (len < MIN_SHB) throw this.error(base + pos, `pcapng section header block length ${len} is too short`);
    const major = u16(buf, pos + 12, le);
    if (major !== 1) {
      throw this.error(base + pos, `pcapng version ${major}.${u16(buf, pos + 14, le)} is not supported`);
    }
    // Interface ids are numbered per section.
    this.ifaces = [];
    this.ifacesChanged = true;
  }

  private interfaceDescription(buf: Buffer, pos: number, len: number, le: boolean, base: number): void {
    if (len < 20) throw this.error(base + pos, `pcapng interface description block length ${len} is too short`);
    let resol = 6;
    let offsetSec = 0;
    const end = pos + len - 4;
    for (let o = pos + 16; o + 4 <= end;) {
      const code = u16(buf, o, le);
      const olen = u16(buf, o + 2, le);
      if (code === OPT_END) break;
      if (o + 4 + olen > end) throw this.error(base + pos, 'pcapng interface description option runs past the end of its block');
      if (code === IF_TSRESOL && olen >= 1) resol = buf.readUInt8(o + 4);
      else if (code === IF_TSOFFSET && olen >= 8) offsetSec = i64(buf, o + 4, le);
      o += 4 + ((olen + 3) & ~3);
    }
    const unit = makeUnit(resol, offsetSec);
    if (unit === null) {
      const what = resol & 0x80 ? `2^-${resol & 0x7f}` : `10^-${resol}`;
      throw this.error(base + pos, `pcapng interface timestamp resolution ${what} is not supported`);
    }
    if (unit.tickNs < this.finestTickNs) this.finestTickNs = unit.tickNs;
    this.ifaces.push({
      linkType: u16(buf, pos + 8, le),
      snaplen: u32(buf, pos + 12, le),
      unit,
      key: this.ifaceCount++,
      used: false,
    });
    this.ifacesChanged = true;
  }

  private interfaceStatistics(buf: Buffer, pos: number, len: number, le: boolean, base: number): void {
    if (len < 24) throw this.error(base + pos, `pcapng interface statistics block length ${len} is too short`);
    const iface = this.ifaces[u32(buf, pos + 8, le)];
    let drops = 0;
    let seen = false;
    const end = pos + len - 4;
    for (let o = pos + 20; o + 4 <= end;) {
      const code = u16(buf, o, le);
      const olen = u16(buf, o + 2, le);
      if (code === OPT_END) break;
      if (o + 4 + olen > end) throw this.error(base + pos, 'pcapng interface statistics option runs past the end of its block');
      if ((code === ISB_IFDROP || code === ISB_OSDROP) && olen >= 8) {
        drops += u64(buf, o + 4, le);
        seen = true;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    // Statistics for an interface that was never described carry no meaning we could attribute.
    if (seen && iface !== undefined) this.isbDrops.set(iface.key, drops);
  }

  /** EPB options: only epb_dropcount matters here. */
  private packetOptions(buf: Buffer, start: number, end: number, le: boolean, offset: number): void {
    for (let o = start; o + 4 <= end;) {
      const code = u16(buf, o, le);
      const olen = u16(buf, o + 2, le);
      if (code === OPT_END) break;
      if (o + 4 + olen > end) throw this.error(offset, 'pcapng packet block option runs past the end of its block');
      if (code === EPB_DROPCOUNT && olen >= 8) {
        this.packetDrops += u64(buf, o + 4, le);
        this.packetDropsSeen = true;
      }
      o += 4 + ((olen + 3) & ~3);
    }
  }

  private error(offset: number, reason: string): CaptureError {
    return new CaptureError(this.file, offset, reason);
  }

  truncated(offset: number, left: number): CaptureError {
    return new CaptureError(
      this.file,
      offset,
      left < MIN_BLOCK
        ? `capture cut short in a pcapng block header (needs ${MIN_BLOCK} bytes, ${left} left)`
        : `capture cut short in the middle of a pcapng block (needs ${this.need} bytes, ${left} left)`,
    );
  }

  linkTypes(): number[] {
    return this.usedLinkTypes.slice();
  }

  tsResolutionNs(): number {
    return this.finestTickNs === Infinity ? 1000 : Math.max(1, Math.round(this.finestTickNs));
  }

  dropsReported(): number | null {
    if (this.isbDrops.size > 0) {
      let total = 0;
      for (const d of this.isbDrops.values()) total += d;
      return total;
    }
    return this.packetDropsSeen ? this.packetDrops : null;
  }
}

import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * The one writer of capture files for the tests and the bench: classic pcap
 * (µs or ns timestamps, either byte order), in memory or streamed to a file,
 * and pcapng block by block. Written from the file-format specs, not from
 * the reader under test. Frames come from elsewhere (capture-builder.ts,
 * the robustness test, bench/pcap-writer.ts); this only lays out containers.
 */

/** One frame as captured: its bytes (cut to the snaplen or not) and its wire length. */
export interface RawFrame {
  /** Capture timestamp, ns since the epoch. */
  tsNs: bigint;
  data: Buffer;
  /** Defaults to data.length. */
  origLen?: number;
}

// ---------------------------------------------------------------- pcap

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

export interface PcapHeaderOpts {
  linkType: number;
  nano?: boolean;
  bigEndian?: boolean;
  /** Default 262144, tcpdump's. */
  snaplen?: number;
  /** Raw 'network' field override, e.g. to set the FCS bits above the link type. */
  network?: number;
  /** Raw magic override (written in the file's byte order). */
  magic?: number;
}

function put32(buf: Buffer, at: number, v: number, bigEndian: boolean): void {
  if (bigEndian) buf.writeUInt32BE(v >>> 0, at);
  else buf.writeUInt32LE(v >>> 0, at);
}

function put16(buf: Buffer, at: number, v: number, bigEndian: boolean): void {
  if (bigEndian) buf.writeUInt16BE(v & 0xffff, at);
  else buf.writeUInt16LE(v & 0xffff, at);
}

/** The 24-byte file header at `at`; returns its length. */
export function writePcapHeader(buf: Buffer, at: number, o: PcapHeaderOpts): number {
  const be = !!o.bigEndian;
  put32(buf, at, o.magic ?? (o.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US), be);
  put16(buf, at + 4, 2, be);
  put16(buf, at + 6, 4, be);
  put32(buf, at + 8, 0, be); // thiszone
  put32(buf, at + 12, 0, be); // sigfigs
  put32(buf, at + 16, o.snaplen ?? 262144, be);
  put32(buf, at + 20, o.network ?? o.linkType, be);
  return PCAP_HEADER_BYTES;
}

/**
 * One record header at `at`: `frac` is µs or ns, as the file's magic says.
 * Takes plain numbers so that streaming millions of records allocates nothing.
 */
export function writePcapRecordHeader(
  buf: Buffer,
  at: number,
  bigEndian: boolean,
  sec: number,
  frac: number,
  capLen: number,
  origLen: number,
): number {
  put32(buf, at, sec, bigEndian);
  put32(buf, at + 4, frac, bigEndian);
  put32(buf, at + 8, capLen, bigEndian);
  put32(buf, at + 12, origLen, bigEndian);
  return PCAP_RECORD_HEADER_BYTES;
}

export function pcapHeader(o: PcapHeaderOpts): Buffer {
  const b = Buffer.alloc(PCAP_HEADER_BYTES);
  writePcapHeader(b, 0, o);
  return b;
}

export function pcapRecord(f: RawFrame, o: { nano?: boolean; bigEndian?: boolean }): Buffer {
  const b = Buffer.alloc(PCAP_RECORD_HEADER_BYTES + f.data.length);
  const ns = f.tsNs % 1_000_000_000n;
  const frac = o.nano ? ns : ns / 1000n;
  writePcapRecordHeader(b, 0, !!o.bigEndian, Number(f.tsNs / 1_000_000_000n), Number(frac), f.data.length, f.origLen ?? f.data.length);
  f.data.copy(b, PCAP_RECORD_HEADER_BYTES);
  return b;
}

export function buildPcapRaw(frames: readonly RawFrame[], o: PcapHeaderOpts): Buffer {
  return Buffer.concat([pcapHeader(o), ...frames.map((f) => pcapRecord(f, o))]);
}

/** Where each record of buildPcapRaw(frames, …) starts. */
export function pcapRecordOffsets(frames: readonly RawFrame[]): number[] {
  const out: number[] = [];
  let at = PCAP_HEADER_BYTES;
  for (const f of frames) {
    out.push(at);
    at += PCAP_RECORD_HEADER_BYTES + f.data.length;
  }
  return out;
}

/**
 * A pcap file written as it is generated, for captures too large to hold:
 * records are laid out in one preallocated chunk, flushed with writeSync
 * when full. A record is written in place:
 *
 *   const at = w.frameStart(maxFrameBytes);   // frame bytes go to w.buffer[at…]
 *   …encode the frame into w.buffer…
 *   w.endFrame(sec, usec, wireLength, bytesEncoded);
 *
 * so the per-packet path allocates nothing.
 */
export class PcapFileWriter {
  private readonly fd: number;
  /** The chunk frames are encoded into; valid from frameStart() until endFrame(). */
  readonly buffer: Buffer;
  private readonly bigEndian: boolean;
  readonly snaplen: number;
  private pos: number;
  private start = 0;
  /** Bytes flushed to the file so far. */
  private flushed = 0;
  packets = 0;

  /**
   * @param o.snaplen frames longer than this are cut, as `tcpdump -s N` would;
   *   the record keeps the wire length.
   */
  constructor(path: string, o: PcapHeaderOpts & { chunkBytes?: number }) {
    this.fd = openSync(path, 'w');
    this.buffer = Buffer.alloc(o.chunkBytes ?? 16 << 20);
    this.bigEndian = !!o.bigEndian;
    this.snaplen = o.snaplen ?? 262144;
    this.pos = writePcapHeader(this.buffer, 0, { ...o, snaplen: this.snaplen });
  }

  /** Bytes written (flushed or pending) so far: the offset where the next record starts. */
  get offset(): number {
    return this.flushed + this.pos;
  }

  /** Room for a frame of up to `maxBytes`; returns where in `buffer` its first byte goes. */
  frameStart(maxBytes: number): number {
    if (this.pos + PCAP_RECORD_HEADER_BYTES + maxBytes > this.buffer.length) this.flush();
    this.start = this.pos + PCAP_RECORD_HEADER_BYTES;
    return this.start;
  }

  /**
   * Closes the record begun by frameStart(): `encoded` bytes were written, the
   * frame is `origLen` long on the wire; the record keeps min(origLen, snaplen)
   * bytes, zeros past what was encoded (payload nobody reads).
   */
  endFrame(sec: number, frac: number, origLen: number, encoded: number): void {
    const capLen = origLen > this.snaplen ? this.snaplen : origLen;
    if (encoded < capLen) this.buffer.fill(0, this.start + encoded, this.start + capLen);
    writePcapRecordHeader(this.buffer, this.start - PCAP_RECORD_HEADER_BYTES, this.bigEndian, sec, frac, capLen, origLen);
    this.pos = this.start + capLen;
    this.packets++;
  }

  flush(): void {
    let done = 0;
    while (done < this.pos) done += writeSync(this.fd, this.buffer, done, this.pos - done);
    this.flushed += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

// ---------------------------------------------------------------- pcapng

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** A block option: its code and value (text is UTF-8); padding and lengths are added. */
export type BlockOption = readonly [code: number, value: Buffer | string];

export interface IdbOpts {
  linkType: number;
  snaplen?: number;
  /** Raw if_tsresol byte; omitted → no option (10^-6). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
  /** Written before if_tsresol and if_tsoffset (e.g. if_name, code 2). */
  options?: readonly BlockOption[];
}

/** Ticks since (epoch + tsoffset) for a ns timestamp, floor-rounded. */
export function tsToTicks(tsNs: bigint, tsresol = 6, tsoffset = 0): bigint {
  const rel = tsNs - BigInt(tsoffset) * 1_000_000_000n;
  const n = BigInt(tsresol & 0x7f);
  const per = tsresol & 0x80 ? 2n ** n : 10n ** n;
  const ticks = (rel * per) / 1_000_000_000n;
  if (ticks < 0n || ticks >= 1n << 64n)
    throw new Error(`timestamp ${tsNs} ns does not fit in 64-bit ticks of resolution 0x${tsresol.toString(16)}`);
  return ticks;
}

/** Field-by-field block body in one byte order. */
class Out {
  private parts: Buffer[] = [];
  constructor(public bigEndian: boolean) {}
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    put16(b, 0, v, this.bigEndian);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    put32(b, 0, v, this.bigEndian);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    if (this.bigEndian) b.writeBigInt64BE(v);
    else b.writeBigInt64LE(v);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  pad4(): this {
    const len = this.length;
    if (len % 4) this.parts.push(Buffer.alloc(4 - (len % 4)));
    return this;
  }
  options(opts: readonly BlockOption[]): this {
    for (const [code, value] of opts) {
      const v = typeof value === 'string' ? Buffer.from(value) : value;
      this.u16(code).u16(v.length).bytes(v).pad4();
    }
    return this;
  }
  endOfOptions(): this {
    return this.u16(0).u16(0);
  }
  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface PacketBlockOpts {
  /** Written before epb_flags and epb_dropcount (e.g. a comment, code 1). */
  options?: readonly BlockOption[];
  flagsOpt?: number;
  dropCount?: bigint;
}

/**
 * Block-level pcapng writer. Each `shb()` starts a new section (and forgets
 * the interfaces); its `bigEndian` applies to every block that follows.
 */
export class PcapngWriter {
  private blocks: Buffer[] = [];
  private be = false;
  private ifaces: IdbOpts[] = [];

  shb(o: { bigEndian?: boolean; options?: readonly BlockOption[] } = {}): this {
    this.be = !!o.bigEndian;
    this.ifaces = [];
    const body = new Out(this.be).u32(PCAPNG_BYTE_ORDER_MAGIC).u16(1).u16(0).i64(-1n);
    if (o.options?.length) body.options(o.options).endOfOptions();
    return this.block(PCAPNG_SHB, body.done());
  }

  idb(o: IdbOpts): this {
    this.ifaces.push(o);
    const b = new Out(this.be)
      .u16(o.linkType)
      .u16(0)
      .u32(o.snaplen ?? 262144);
    b.options(o.options ?? []);
    if (o.tsresol !== undefined) b.u16(9).u16(1).u8(o.tsresol).pad4();
    if (o.tsoffset !== undefined) b.u16(14).u16(8).i64(BigInt(o.tsoffset));
    if (o.options?.length || o.tsresol !== undefined || o.tsoffset !== undefined) b.endOfOptions();
    return this.block(1, b.done());
  }

  /** Ticks are computed from the interface's resolution and offset. */
  epb(ifId: number, f: RawFrame, o: PacketBlockOpts = {}): this {
    return this.epbTicks(ifId, this.ticks(ifId, f.tsNs), f, o);
  }

  epbTicks(ifId: number, ticks: bigint, f: RawFrame, o: PacketBlockOpts = {}): this {
    const b = new Out(this.be)
      .u32(ifId)
      .u32(Number((ticks >> 32n) & 0xffffffffn))
      .u32(Number(ticks & 0xffffffffn))
      .u32(f.data.length)
      .u32(f.origLen ?? f.data.length)
      .bytes(f.data)
      .pad4();
    b.options(o.options ?? []);
    if (o.flagsOpt !== undefined) b.u16(2).u16(4).u32(o.flagsOpt);
    if (o.dropCount !== undefined) b.u16(4).u16(8).i64(o.dropCount);
    if (o.options?.length || o.flagsOpt !== undefined || o.dropCount !== undefined) b.endOfOptions();
    return this.block(6, b.done());
  }

  /** Simple Packet Block: only the wire length is stored; caplen is implied. */
  spb(f: RawFrame): this {
    const b = new Out(this.be)
      .u32(f.origLen ?? f.data.length)
      .bytes(f.data)
      .pad4();
    return this.block(3, b.done());
  }

  /** Obsolete Packet Block (type 2). */
  pb(ifId: number, f: RawFrame, drops = 0): this {
    const ticks = this.ticks(ifId, f.tsNs);
    const b = new Out(this.be)
      .u16(ifId)
      .u16(drops)
      .u32(Number((ticks >> 32n) & 0xffffffffn))
      .u32(Number(ticks & 0xffffffffn))
      .u32(f.data.length)
      .u32(f.origLen ?? f.data.length)
      .bytes(f.data)
      .pad4();
    return this.block(2, b.done());
  }

  /** Interface Statistics Block with optional isb_ifdrop / isb_osdrop. */
  isb(ifId: number, tsNs: bigint, o: { ifdrop?: bigint; osdrop?: bigint } = {}): this {
    const ticks = this.ticks(ifId, tsNs);
    const b = new Out(this.be)
      .u32(ifId)
      .u32(Number((ticks >> 32n) & 0xffffffffn))
      .u32(Number(ticks & 0xffffffffn));
    if (o.ifdrop !== undefined || o.osdrop !== undefined) {
      if (o.ifdrop !== undefined) b.u16(5).u16(8).i64(o.ifdrop);
      if (o.osdrop !== undefined) b.u16(7).u16(8).i64(o.osdrop);
      b.endOfOptions();
    }
    return this.block(5, b.done());
  }

  /** Any block; the body is padded to 4 bytes. */
  block(type: number, body: Buffer): this {
    const padded = body.length % 4 ? Buffer.concat([body, Buffer.alloc(4 - (body.length % 4))]) : body;
    const total = 12 + padded.length;
    this.blocks.push(new Out(this.be).u32(type).u32(total).bytes(padded).u32(total).done());
    return this;
  }

  /** Bytes exactly as given, for deliberately broken blocks. */
  raw(bytes: Buffer): this {
    this.blocks.push(bytes);
    return this;
  }

  /** Byte offset where each block written so far starts. */
  offsets(): number[] {
    const out: number[] = [];
    let at = 0;
    for (const b of this.blocks) {
      out.push(at);
      at += b.length;
    }
    return out;
  }

  get bigEndian(): boolean {
    return this.be;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.blocks);
  }

  /** An undefined interface gets µs, the pcapng default, so broken files can still be written. */
  private ticks(ifId: number, tsNs: bigint): bigint {
    const iface = this.ifaces[ifId];
    return iface ? tsToTicks(tsNs, iface.tsresol, iface.tsoffset) : tsNs / 1000n;
  }
}

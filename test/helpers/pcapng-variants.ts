import { readFileSync } from 'node:fs';
import { readCaptureBuffer } from '../../src/capture/read-capture.js';
import { PcapngWriter, type RawFrame } from './capture-writer.js';
import { snapshot, type Got } from './record-collector.js';

// The frames of a classic pcap rewritten as pcapng in the ways that matter to
// the WebAssembly walk over packet blocks (src/wasm/pcapng-walk.ts): plain,
// interleaved with everything it leaves to the JavaScript parser, and as
// simple packet blocks. test/pcapng-walk.test.ts and
// scripts/pcapng-peer-diff.sh (against another build) read them.

/** A capture's frames, copied, and its first frame's link type. */
export function framesOf(file: string): { frames: Got[]; linkType: number } {
  const frames: Got[] = [];
  readCaptureBuffer(readFileSync(file), (r) => frames.push(snapshot(r)));
  return { frames, linkType: frames[0]?.linkType ?? 1 };
}

function raw(g: Got): RawFrame {
  return { tsNs: BigInt(g.tsSec) * 1_000_000_000n + BigInt(g.tsNsec), data: g.data, origLen: g.origLen };
}

/** What editcap writes: one section, one interface, µs, EPBs without options. */
export function plain(frames: readonly Got[], linkType: number): Buffer {
  const w = new PcapngWriter().shb().idb({ linkType });
  for (const g of frames) w.epb(0, raw(g));
  return w.toBuffer();
}

const UNKNOWN_LINK = 147;

/**
 * Everything the walk hands back to the parser, interleaved with packets it
 * takes: interfaces of several resolutions and offsets (one only BigInt can
 * convert), an unknown link type, EPB options with drop counts, blocks of
 * other types, an obsolete packet block, and a second section in the other
 * byte order that numbers its interfaces afresh.
 */
export function mixed(frames: readonly Got[], linkType: number): Buffer {
  const w = new PcapngWriter();
  const section = (bigEndian: boolean): void => {
    w.shb({ bigEndian })
      .idb({ linkType, tsresol: 9 })
      .idb({ linkType, tsresol: 0x80 | 20, tsoffset: -3600 })
      .idb({ linkType: UNKNOWN_LINK })
      .idb({ linkType, tsresol: 10 })
      .idb({ linkType, tsresol: 0x80 | 32, tsoffset: 86_400 });
  };
  section(true);
  frames.forEach((g, i) => {
    if (i === frames.length >> 1) section(false);
    if (i % 97 === 50) w.block(4, Buffer.alloc(8)).block(0x00000bad, Buffer.from('pen 32473 custom'));
    if (i % 13 === 5) w.epb(2, { tsNs: raw(g).tsNs, data: Buffer.from('not a frame kad reads') });
    const ifId = [0, 1, 4, 0, 1, 3][i % 6]!;
    if (i % 101 === 3) w.pb(ifId === 3 ? 0 : ifId, raw(g), i & 0xff);
    else if (i % 7 === 2) w.epb(ifId, raw(g), { options: [[1, 'a comment']], flagsOpt: 1, dropCount: BigInt(i) });
    else w.epb(ifId, raw(g));
  });
  return w.toBuffer();
}

/** Simple packet blocks: no timestamps, lengths from the block and the interface's snaplen (cutting some TCP headers); statistics blocks. */
export function simple(frames: readonly Got[], linkType: number): Buffer {
  const w = new PcapngWriter().shb().idb({ linkType, snaplen: 64 });
  frames.forEach((g, i) => {
    if (i % 89 === 7) w.isb(0, 0n, { ifdrop: BigInt(i) });
    w.spb(raw(g));
  });
  return w.toBuffer();
}

/** The three variants of `pcapFile`, by name. */
export function pcapngVariants(pcapFile: string): Record<'plain' | 'mixed' | 'simple', Buffer> {
  const { frames, linkType } = framesOf(pcapFile);
  return { plain: plain(frames, linkType), mixed: mixed(frames, linkType), simple: simple(frames, linkType) };
}

import type { TsUnit } from './timestamp.js';

/** One interface of the current pcapng section, as a walk over its packet blocks needs it. */
export interface PcapngWalkInterface {
  readonly linkType: number;
  /** 0 means no limit (SPBs are cut to it). */
  readonly snaplen: number;
  readonly unit: TsUnit;
  /** It has delivered a packet already (link types are listed in order of first use, by the parser). */
  readonly used: boolean;
}

/**
 * A consumer that takes whole runs of pcapng packet blocks at once (the
 * WebAssembly tracker), so that no JavaScript runs per frame. It takes the
 * plain packet blocks from `start` and returns where it stopped; the parser
 * handles the block there (any other block type, an interface not walked, a
 * cut or corrupt block: still its to handle and report), then hands back.
 */
export interface PcapngBlockRun {
  /** Frame number of the last packet the latest take() consumed. */
  readonly frame: number;
  /** The epb_dropcount total after the latest take(), which started from take's `drops`. */
  readonly drops: number;
  /** The latest take() read an epb_dropcount. */
  readonly dropsSeen: boolean;
  /** The section's interfaces, each time they change (a new section, a new IDB, an interface's first packet). */
  interfaces(list: readonly PcapngWalkInterface[]): void;
  take(buf: Buffer, start: number, end: number, littleEndian: boolean, frame: number, drops: number): number;
}

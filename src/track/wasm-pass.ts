import { readFileSync } from 'node:fs';

/** What src/wasm/tracker.ts exports (addresses are byte offsets into its memory). */
export interface PassExports {
  init(initialConnections: number, chunkBytes: number): void;
  trackFrame(ptr: number, capLen: number, linkType: number, tsSec: number, tsNsec: number, frame: number): number;
  decode(ptr: number, capLen: number, linkType: number): number;
  trackPcapRecords(start: number, end: number, le: number, nano: number, linkType: number, frame: number): number;
  pcapFrameNumber(): number;
  countsAddress(): number;
  latestTsSec(): number;
  latestTsNsec(): number;
  clearCounts(): void;
  packetAddress(): number;
  resetNotesAddress(): number;
  scratchAddress(): number;
  scratchBytes(): number;
  chunkAddress(): number;
  chunkSize(): number;
  storeAddress(): number;
  storeCapacity(): number;
  connectionCount(): number;
  flowSlots(): number;
  eventsAddress(): number;
  scratchAbove(bytes: number): number;
  eventGroupsBytes(n: number, count: number): number;
  groupEvents(events: number, count: number, n: number, out: number): void;
  serverIndexesBytes(n: number): number;
  serverIndexes(records: number, n: number, out: number): number;
  tailsBytes(n: number): number;
  flagsAt(out: number, n: number): number;
  unansweredTails(records: number, n: number, events: number, count: number, out: number): void;
  timeSpan(records: number, n: number, out: number): void;
  idleArraysBytes(n: number): number;
  idlePass(events: number, count: number, n: number, marks: number, markCount: number, drops: number, dropCount: number, out: number): number;
  survivedCountAt(out: number, n: number): number;
  survivedMaxAt(out: number, n: number): number;
  diedCountAt(out: number, n: number): number;
  diedMinAt(out: number, n: number): number;
  firstAt(out: number, n: number): number;
  eventsCapacity(): number;
  eventsCount(): number;
  timeBaseSec(): number;
  timeBaseNsec(): number;
  lastConnection(): number;
  lastDirectionOf(): number;
  lastTimeNs(): number;
}

/** wasm32's whole address space; only what is used is ever committed. */
const MAX_PAGES = 65536;
const INITIAL_PAGES = 32;

let compiled: WebAssembly.Module | null = null;

function passModule(): WebAssembly.Module {
  if (compiled === null) {
    const url = new URL('../../wasm/tracker.wasm', import.meta.url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      throw new Error('the WebAssembly tracker (dist/wasm/tracker.wasm) is not built; run `npm run build`');
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/**
 * One instance of the WebAssembly pass with its own memory. The memory is
 * shared (a SharedArrayBuffer) only so that growing it never detaches the
 * views JavaScript holds: the capture reader parses chunks that live inside
 * it while the tracker grows it.
 */
export function instantiatePass(initialConnections: number, chunkBytes: number): { exports: PassExports; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(passModule(), {
    env: {
      memory,
      abort: () => {
        throw new Error('internal error in the WebAssembly tracker');
      },
    },
    kad: {
      outOfMemory: () => {
        throw new Error('out of memory for connection state (the tracker can use at most 4 GiB)');
      },
    },
  });
  const exports = instance.exports as unknown as PassExports;
  exports.init(initialConnections, chunkBytes);
  return { exports, memory };
}

import { readFileSync } from 'node:fs';

/**
 * How one export of the WebAssembly module is described: its kind as
 * WebAssembly reports it, a function's parameter count, and (as a type only)
 * what TypeScript calls it as.
 */
export interface ExportSpec<K extends WebAssembly.ImportExportKind = WebAssembly.ImportExportKind, T = unknown> {
  readonly kind: K;
  /** Parameters of a function (its `length` once instantiated). */
  readonly params?: number;
  /** Never set: carries the export's TypeScript type into PassExports. */
  readonly type?: T;
}

/** A function export; the parameter count must match T's, which the compiler checks. */
function fn<T extends (...args: never[]) => unknown>(params: Parameters<T>['length']): ExportSpec<'function', T> {
  return { kind: 'function', params };
}

/**
 * Everything src/wasm/tracker.ts exports (addresses are byte offsets into its
 * memory), written once: PassExports is derived from it, and
 * test/wasm-exports.test.ts holds it against the built module both ways.
 */
export const PASS_EXPORTS = {
  init: fn<(initialConnections: number, chunkBytes: number) => void>(2),
  trackFrame:
    fn<(ptr: number, capLen: number, wireLen: number, linkType: number, tsSec: number, tsNsec: number, frame: number) => number>(7),
  decode: fn<(ptr: number, capLen: number, wireLen: number, linkType: number) => number>(4),
  decodeTallyAddress: fn<() => number>(0),
  trackPcapRecords: fn<(start: number, end: number, le: number, nano: number, linkType: number, frame: number, last: number) => number>(7),
  pcapFrameNumber: fn<() => number>(0),
  trackPcapngBlocks: fn<(start: number, end: number, le: number, frame: number, drops: number, last: number) => number>(6),
  pcapngInterface:
    fn<
      (
        i: number,
        linkType: number,
        snaplen: number,
        used: number,
        unitKind: number,
        div: number,
        mul: number,
        shift: number,
        offsetSec: number,
      ) => void
    >(9),
  pcapngInterfaces: fn<(n: number) => void>(1),
  pcapngDrops: fn<() => number>(0),
  pcapngDropsSeen: fn<() => number>(0),
  eventPhrasesAddress: fn<() => number>(0),
  eventHeadAddress: fn<() => number>(0),
  eventLinesAddress: fn<() => number>(0),
  eventLinesUsed: fn<() => number>(0),
  clearEventLines: fn<() => void>(0),
  startEventLines: fn<(headBytes: number) => void>(1),
  eventLinesFull: fn<() => number>(0),
  writeEventLine: fn<(packet: number, frame: number, sec: number, nsec: number, conn: number, dir: number, kind: number) => void>(7),
  countsAddress: fn<() => number>(0),
  latestTsSec: fn<() => number>(0),
  latestTsNsec: fn<() => number>(0),
  clearCounts: fn<() => void>(0),
  packetAddress: fn<() => number>(0),
  resetNotesAddress: fn<() => number>(0),
  scratchAddress: fn<() => number>(0),
  scratchBytes: fn<() => number>(0),
  chunkAddress: fn<() => number>(0),
  chunkSize: fn<() => number>(0),
  storeAddress: fn<() => number>(0),
  storeCapacity: fn<() => number>(0),
  connectionCount: fn<() => number>(0),
  flowSlots: fn<() => number>(0),
  eventsAddress: fn<() => number>(0),
  coldAddress: fn<() => number>(0),
  coldEntries: fn<() => number>(0),
  coldHeld: fn<() => number>(0),
  v6Address: fn<() => number>(0),
  v6Entries: fn<() => number>(0),
  v6Held: fn<() => number>(0),
  scratchAbove: fn<(bytes: number) => number>(1),
  eventGroupsBytes: fn<(n: number, count: number) => number>(2),
  groupEvents: fn<(events: number, count: number, n: number, out: number) => void>(4),
  serverIndexesBytes: fn<(n: number) => number>(1),
  serverIndexes: fn<(records: number, n: number, out: number) => number>(3),
  tailsBytes: fn<(n: number) => number>(1),
  flagsAt: fn<(out: number, n: number) => number>(2),
  unansweredTails: fn<(records: number, n: number, events: number, count: number, out: number) => void>(5),
  timeSpan: fn<(records: number, n: number, out: number) => void>(3),
  idleArraysBytes: fn<(n: number) => number>(1),
  idlePass:
    fn<
      (events: number, count: number, n: number, marks: number, markCount: number, drops: number, dropCount: number, out: number) => number
    >(8),
  survivedCountAt: fn<(out: number, n: number) => number>(2),
  survivedMaxAt: fn<(out: number, n: number) => number>(2),
  diedCountAt: fn<(out: number, n: number) => number>(2),
  diedMinAt: fn<(out: number, n: number) => number>(2),
  firstAt: fn<(out: number, n: number) => number>(2),
  compact: fn<(keep: number, remap: number) => number>(2),
  compactBytes: fn<(n: number) => number>(1),
  eventsCapacity: fn<() => number>(0),
  eventsCount: fn<() => number>(0),
  timeBaseSec: fn<() => number>(0),
  timeBaseNsec: fn<() => number>(0),
  lastConnection: fn<() => number>(0),
  lastDirectionOf: fn<() => number>(0),
  lastConnectionId: fn<() => number>(0),
  lastTimeNs: fn<() => number>(0),
  duplicateFrames: fn<() => number>(0),
  // The imported memory, exported again by AssemblyScript's --importMemory; instantiatePass hands out its own reference.
  memory: { kind: 'memory' } as ExportSpec<'memory', WebAssembly.Memory>,
} satisfies Record<string, ExportSpec>;

/** What src/wasm/tracker.ts exports, as TypeScript calls it. */
export type PassExports = { readonly [K in keyof typeof PASS_EXPORTS]: NonNullable<(typeof PASS_EXPORTS)[K]['type']> };

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
 * Bench only: trackers made after this run `bytes`, a build of
 * src/wasm/tracker.ts with a bench constant set (KAD_ABLATE: cut short after
 * one stage, for bench/ablation-probe.ts; KAD_SHARD: one half of the flows,
 * for bench/split-probe.ts).
 */
export function usePassBuild(bytes: Uint8Array): void {
  compiled = new WebAssembly.Module(bytes);
}

/** Exports that return a byte address (or one computed from it) rather than a count. */
const RETURNS_ADDRESS = /(Address|At|Above)$/;

/**
 * WebAssembly returns an i32, which JavaScript reads as signed: an address
 * past 2 GiB came back negative (and a view at it threw). These few exports
 * are not per-packet calls, so a wrapper costs nothing that matters.
 */
function unsignedAddresses(raw: WebAssembly.Instance['exports']): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'function' || !RETURNS_ADDRESS.test(name)) continue;
    const f = value as (...args: number[]) => number;
    const wrapped = (...args: number[]): number => Reflect.apply(f, undefined, args) >>> 0;
    // Keeps the parameter count that test/wasm-exports.test.ts holds against PASS_EXPORTS.
    Object.defineProperty(wrapped, 'length', { value: f.length });
    out[name] = wrapped;
  }
  return out;
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
  const exports = unsignedAddresses(instance.exports) as unknown as PassExports;
  exports.init(initialConnections, chunkBytes);
  return { exports, memory };
}

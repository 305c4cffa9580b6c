import { HEAD_MAX, LINE_MAX, LINES_BYTES, PHRASE_COUNT, PHRASE_SLOT } from './event-line-layout.js';
import type { PassExports } from './wasm-pass.js';

/**
 * What the WebAssembly walk needs to write `--events` lines itself: the fixed
 * texts (render/event-lines.ts eventLinePhrases, in event-line-layout.ts
 * order; empty slots allowed) and where the lines go.
 */
export interface EventLineSpec {
  /** The line's start, up to the frame number. */
  readonly head: Uint8Array;
  readonly phrases: readonly Uint8Array[];
  /** Takes a run of whole lines; the bytes are valid only during the call. */
  write(bytes: Uint8Array): void;
}

/** Whether the encoder's tables hold the spec's texts (the head: any path open() takes). */
export function fitsEventLines(spec: Pick<EventLineSpec, 'head' | 'phrases'>): boolean {
  return spec.head.length <= HEAD_MAX && spec.phrases.length <= PHRASE_COUNT && spec.phrases.every((p) => p.length < PHRASE_SLOT);
}

/** Sets up the encoder of src/wasm/event-line.ts, and hands what it wrote to the spec's writer. */
export class EventLineOut {
  private readonly lines: Uint8Array;
  private readonly packetAt: number;

  private constructor(
    private readonly x: PassExports,
    private readonly spec: EventLineSpec,
    sab: ArrayBufferLike,
  ) {
    this.lines = new Uint8Array(sab, x.eventLinesAddress(), LINES_BYTES);
    this.packetAt = x.packetAddress();
  }

  /** The texts must fit the table (see fitsEventLines). */
  static start(x: PassExports, sab: ArrayBufferLike, spec: EventLineSpec): EventLineOut {
    if (!fitsEventLines(spec)) throw new RangeError('--events texts longer than the WebAssembly encoder holds');
    const table = new Uint8Array(sab, x.eventPhrasesAddress(), PHRASE_COUNT * PHRASE_SLOT);
    spec.phrases.forEach((p, i) => {
      table[i * PHRASE_SLOT] = p.length;
      table.set(p, i * PHRASE_SLOT + 1);
    });
    new Uint8Array(sab, x.eventHeadAddress(), HEAD_MAX).set(spec.head);
    x.startEventLines(spec.head.length);
    return new EventLineOut(x, spec, sab);
  }

  /** The line of the packet just tracked one frame at a time, written out when there is no room for another. */
  line(frame: number, sec: number, nsec: number, kind: number): void {
    const x = this.x;
    x.writeEventLine(this.packetAt, frame, sec, nsec, x.lastConnectionId(), x.lastDirectionOf(), kind);
    if (x.eventLinesFull()) this.drain();
  }

  /** Writes out the lines of the last walk; whether the walk stopped for want of room for one more. */
  drain(): boolean {
    const n = this.x.eventLinesUsed();
    if (n === 0) return false;
    this.spec.write(this.lines.subarray(0, n));
    this.x.clearEventLines();
    return LINES_BYTES - n < LINE_MAX;
  }
}

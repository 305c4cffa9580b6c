import {
  TAIL_FIRST,
  TAIL_KEEPALIVES,
  TAIL_LAST,
  TAIL_LOCAL_RST,
  TAIL_PACKETS,
  TAIL_RETRANSMISSIONS,
  TAIL_STRIDE32,
} from './tail-layout.js';

/**
 * Per connection and direction, what it sent that the other side never
 * answered (see TcpTracker.unansweredTails): readers over copies of what the
 * WebAssembly pass wrote, so they outlive the tracker's next packet. `c` is a
 * connection id, `d` a direction (0: client → server).
 */
export class UnansweredTails {
  constructor(
    /** TAIL_* fields of connection c, direction d at (c * 2 + d) * TAIL_STRIDE32. */
    private readonly tails: Int32Array,
    /** 1 for each connection whose last logged packet went unanswered (ST_UNANSWERED). */
    private readonly flags: Uint8Array,
    /** Latest packet time of any connection (ns relative to the time base; -Infinity: none). */
    readonly captureEndNs: number,
  ) {}

  /** Keepalives, data and retransmissions sent after the other side's last packet. */
  packets(c: number, d: number): number {
    return this.tails[(c * 2 + d) * TAIL_STRIDE32 + TAIL_PACKETS]!;
  }
  /** Event-log indexes of the first and the last of those packets (-1: none). */
  firstEvent(c: number, d: number): number {
    return this.tails[(c * 2 + d) * TAIL_STRIDE32 + TAIL_FIRST]!;
  }
  lastEvent(c: number, d: number): number {
    return this.tails[(c * 2 + d) * TAIL_STRIDE32 + TAIL_LAST]!;
  }
  keepalives(c: number, d: number): number {
    return this.tails[(c * 2 + d) * TAIL_STRIDE32 + TAIL_KEEPALIVES]!;
  }
  retransmissions(c: number, d: number): number {
    return this.tails[(c * 2 + d) * TAIL_STRIDE32 + TAIL_RETRANSMISSIONS]!;
  }
  /** The direction sent a RST in its tail: its own stack gave up and reset. */
  localRst(c: number, d: number): boolean {
    return this.tails[(c * 2 + d) * TAIL_STRIDE32 + TAIL_LOCAL_RST] === 1;
  }
  /** The connection's last logged packet went unanswered. */
  lastUnanswered(c: number): boolean {
    return this.flags[c] === 1;
  }
}

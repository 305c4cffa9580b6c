import type { TrackedPacketHandler } from '../analyze/analyze-capture.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { K_DUPLICATE } from '../track/kind-codes.js';

/** Events kept per connection: enough for a screen-wide timeline of a chatty flow. */
export const RING_CAPACITY = 256;
/** Connections with a timeline; the least recently active one is forgotten first. */
export const MAX_TIMELINES = 2048;

/**
 * The last RING_CAPACITY packets of one connection, as columns of typed
 * arrays: a fixed 14 bytes per slot, whatever the traffic does.
 */
export class EventRing {
  readonly time = new Float64Array(RING_CAPACITY); // s, tracker-relative
  readonly kind = new Uint8Array(RING_CAPACITY); // K_*
  readonly dir = new Uint8Array(RING_CAPACITY); // 0 = c2s
  readonly frame = new Uint32Array(RING_CAPACITY);
  /** Events ever pushed; the ring holds the last min(total, capacity). */
  total = 0;

  push(time: number, kind: number, dir: number, frame: number): void {
    const i = this.total % RING_CAPACITY;
    this.time[i] = time;
    this.kind[i] = kind;
    this.dir[i] = dir;
    this.frame[i] = frame;
    this.total++;
  }

  get size(): number {
    return Math.min(this.total, RING_CAPACITY);
  }

  /** Slot of the k-th oldest event still held (0 = oldest). */
  slot(k: number): number {
    return this.total <= RING_CAPACITY ? k : (this.total + k) % RING_CAPACITY;
  }

  /** True when older events were overwritten: the timeline no longer starts at the SYN. */
  get wrapped(): boolean {
    return this.total > RING_CAPACITY;
  }
}

/**
 * Per-connection timelines, fed by the live model's per-packet hook. Bounded
 * twice: RING_CAPACITY events per connection and MAX_TIMELINES connections
 * (Map insertion order doubles as the LRU order).
 */
export class TimelineRecorder {
  private readonly rings = new Map<number, EventRing>();
  private lastConn = -1;

  constructor(private readonly maxConnections = MAX_TIMELINES) {}

  /** Pass as LiveModel's onTcpPacket. Connections by number (ConnectionStore.id). */
  readonly onTcpPacket: TrackedPacketHandler = (tracker: TcpTracker, _pkt, rec, kind) => {
    // A frame captured twice is one packet: its copy is not drawn.
    if (kind === K_DUPLICATE) return;
    this.add(tracker.lastId, tracker.lastTime / 1e9, kind, tracker.lastDir, rec.frame);
  };

  add(conn: number, timeS: number, kind: number, dir: number, frame: number): void {
    let ring = this.rings.get(conn);
    if (ring === undefined) {
      if (this.rings.size >= this.maxConnections) {
        const oldest = this.rings.keys().next().value as number;
        this.rings.delete(oldest);
      }
      ring = new EventRing();
      this.rings.set(conn, ring);
    } else if (conn !== this.lastConn) {
      // Re-inserting moves it to the young end; skipped for runs of one connection's packets.
      this.rings.delete(conn);
      this.rings.set(conn, ring);
    }
    this.lastConn = conn;
    ring.push(timeS, kind, dir, frame);
  }

  get(conn: number): EventRing | undefined {
    return this.rings.get(conn);
  }

  get connections(): number {
    return this.rings.size;
  }
}

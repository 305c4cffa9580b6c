/**
 * The packets worth remembering after the pass: keepalives and their ACKs,
 * zero-window probes, retransmissions, FINs, RSTs, and every packet that
 * ends an idle gap. These
 * drive diagnosis and timelines without a second pass over the capture.
 * Columns of typed arrays, grown by doubling: appending never allocates
 * per packet.
 */
export class EventLog {
  count = 0;
  conn = new Uint32Array(1024);
  frame = new Uint32Array(1024);
  time = new Float64Array(1024); // ns relative to the capture time base
  kind = new Uint8Array(1024);
  dir = new Uint8Array(1024);
  ttl = new Uint8Array(1024);
  len = new Uint16Array(1024);
  flags = new Uint8Array(1024);
  /** IPv4 id, or -1 for IPv6. */
  ipId = new Int32Array(1024);
  win = new Uint16Array(1024);
  seq = new Uint32Array(1024);
  ack = new Uint32Array(1024);
  /** Bit 0: TCP timestamps option present. */
  opts = new Uint8Array(1024);
  /** Idle time before this packet in its connection (ns). */
  idleBefore = new Float64Array(1024);

  append(
    conn: number, frame: number, time: number, kind: number, dir: number, ttl: number, len: number,
    flags: number, ipId: number, win: number, seq: number, ack: number, hasTs: boolean, idleBefore: number,
  ): void {
    if (this.count === this.conn.length) this.grow();
    const i = this.count++;
    this.conn[i] = conn;
    this.frame[i] = frame;
    this.time[i] = time;
    this.kind[i] = kind;
    this.dir[i] = dir;
    this.ttl[i] = ttl;
    this.len[i] = len > 0xffff ? 0xffff : len;
    this.flags[i] = flags;
    this.ipId[i] = ipId;
    this.win[i] = win;
    this.seq[i] = seq;
    this.ack[i] = ack;
    this.opts[i] = hasTs ? 1 : 0;
    this.idleBefore[i] = idleBefore;
  }

  /** Index of the event for `frame`, or -1 (frames are appended in increasing order). */
  indexOfFrame(frame: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const f = this.frame[mid]!;
      if (f === frame) return mid;
      if (f < frame) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  memoryBytes(): number {
    return this.conn.length * (4 + 4 + 8 + 1 + 1 + 1 + 2 + 1 + 4 + 2 + 4 + 4 + 1 + 8);
  }

  private grow(): void {
    const n = this.conn.length * 2;
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.conn = g(this.conn, (k) => new Uint32Array(k));
    this.frame = g(this.frame, (k) => new Uint32Array(k));
    this.time = g(this.time, (k) => new Float64Array(k));
    this.kind = g(this.kind, (k) => new Uint8Array(k));
    this.dir = g(this.dir, (k) => new Uint8Array(k));
    this.ttl = g(this.ttl, (k) => new Uint8Array(k));
    this.len = g(this.len, (k) => new Uint16Array(k));
    this.flags = g(this.flags, (k) => new Uint8Array(k));
    this.ipId = g(this.ipId, (k) => new Int32Array(k));
    this.win = g(this.win, (k) => new Uint16Array(k));
    this.seq = g(this.seq, (k) => new Uint32Array(k));
    this.ack = g(this.ack, (k) => new Uint32Array(k));
    this.opts = g(this.opts, (k) => new Uint8Array(k));
    this.idleBefore = g(this.idleBefore, (k) => new Float64Array(k));
  }
}

/** Supplies a reader's buffer of `size` bytes, or null to let the reader allocate it. */
export type ChunkAllocator = (size: number) => Buffer | null;

/**
 * The one buffer a reader parses from. Unparsed bytes live in
 * buf[start, end); `base` is the stream offset of buf[0], so stream offsets
 * survive the tail being moved to the front.
 */
export class ChunkBuffer {
  buf: Buffer;
  start = 0;
  end = 0;
  base = 0;

  /** `alloc` may supply the buffer (the tracker's memory, where frames need no copy); growth allocates an ordinary one. */
  constructor(size: number, alloc?: ChunkAllocator) {
    // Unpooled: the buffer is long-lived and large.
    this.buf = alloc?.(size) ?? Buffer.allocUnsafeSlow(size);
  }

  get pending(): number {
    return this.end - this.start;
  }

  /** Stream offset of the first unparsed byte. */
  get offset(): number {
    return this.base + this.start;
  }

  /**
   * Makes room after `end` for at least `need` unparsed bytes in total
   * (one whole record) plus some free space: moves the unparsed tail to the
   * front, and grows only when a single record is larger than the buffer.
   */
  makeRoom(need: number): void {
    const size = this.buf.length;
    if (this.start > 0 && (this.start === this.end || this.start + need > size || this.end === size)) {
      if (this.end > this.start) this.buf.copy(this.buf, 0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    // After compaction a full buffer means one record is bigger than it.
    if (need > size || this.end === size) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, size * 2));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    }
  }
}

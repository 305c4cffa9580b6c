import { writeSync } from 'node:fs';

/** Output is written in pieces of this size. */
const CHUNK = 1 << 20;
/** Below this, writeBytes copies rather than pay a write of its own. */
const SMALL = 1 << 14;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Buffered, blocking output to a file descriptor (stdout by default) for the
 * commands that stream a lot: `--events`, `--json`, `kad watch`. Blocking
 * matters: a stream queues what a slow reader (`| jq`) has not taken yet, in
 * memory, and a big capture writes gigabytes.
 */
export class LineWriter {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;

  constructor(private readonly fd = 1) {}

  line(s: string): void {
    this.write(s);
    this.write('\n');
  }

  /** Text as is (no newline added), encoded straight into the output buffer. */
  write(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (s.length * 3 > this.buf.length - this.used) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        const big = Buffer.from(s);
        writeAll(this.fd, big, big.length);
        return;
      }
    }
    this.used += this.buf.write(s, this.used);
  }

  /** Bytes as they are, after what is buffered; a run of many lines goes out from where it lies, uncopied. */
  writeBytes(b: Uint8Array): void {
    if (b.length <= SMALL && b.length <= this.buf.length - this.used) {
      this.buf.set(b, this.used);
      this.used += b.length;
      return;
    }
    this.flush();
    writeAll(this.fd, b, b.length);
  }

  flush(): void {
    if (this.used === 0) return;
    writeAll(this.fd, this.buf, this.used);
    this.used = 0;
  }
}

function writeAll(fd: number, buf: Uint8Array, len: number): void {
  let off = 0;
  while (off < len) {
    try {
      off += writeSync(fd, buf, off, len - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Node may have made a piped stdout non-blocking: wait for the reader rather than queue.
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      // The reader is gone (`| head`): end quietly, like SIGPIPE ends tcpdump.
      else if (code === 'EPIPE') process.exit(0);
      else throw err;
    }
  }
}

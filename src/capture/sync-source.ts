import fs from 'node:fs';
import type { CaptureParser } from './capture-parser.js';
import { ChunkBuffer, type ChunkAllocator } from './chunk-buffer.js';
import { ioError } from './io-error.js';

/**
 * 1 MiB: big enough that reads cost nothing, small enough to stay in cache,
 * where a bigger buffer would push out the connection records the tracker
 * is reading at the same time.
 */
export const DEFAULT_CHUNK = 1024 * 1024;

/**
 * Parses a plain, seekable capture file with blocking reads into one
 * reused buffer: no promise or stream machinery per chunk. `prefix` holds
 * bytes already read from the descriptor (the format probe).
 * Returns the number of bytes read.
 */
export function parseFd(
  fd: number,
  file: string,
  parser: CaptureParser,
  opts: { readSize?: number; prefix?: Buffer; sizeHint?: number; chunkBuffer?: ChunkAllocator } = {},
): number {
  const readSize = opts.readSize ?? DEFAULT_CHUNK;
  const prefix = opts.prefix ?? Buffer.alloc(0);
  // Small files do not need a whole chunk; the 1 MiB floor keeps reads large if the file grows meanwhile.
  const cb = new ChunkBuffer(
    Math.max(64, prefix.length, Math.min(readSize, Math.max((opts.sizeHint ?? readSize) + 1, 1 << 20))),
    opts.chunkBuffer,
  );
  prefix.copy(cb.buf, 0);
  cb.end = prefix.length;
  cb.start = parser.parse(cb.buf, 0, cb.end, 0);
  for (;;) {
    cb.makeRoom(parser.need);
    let n: number;
    try {
      n = fs.readSync(fd, cb.buf, cb.end, Math.min(readSize, cb.buf.length - cb.end), null);
    } catch (err) {
      throw ioError(file, err);
    }
    if (n === 0) break;
    cb.end += n;
    cb.start = parser.parse(cb.buf, cb.start, cb.end, cb.base);
  }
  parser.finish(cb.offset, cb.pending, 'empty file');
  return cb.base + cb.end;
}

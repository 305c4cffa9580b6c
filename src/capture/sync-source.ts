import fs from 'node:fs';
import type { CaptureParser } from './capture-parser.js';
import { ChunkBuffer } from './chunk-buffer.js';
import { ioError } from './io-error.js';

export const DEFAULT_CHUNK = 16 * 1024 * 1024;

/**
 * Parses a plain, seekable capture file with blocking reads into one
 * reused buffer: no promise or stream machinery per chunk.
 * Returns the number of bytes read.
 */
export function parseFd(fd: number, file: string, parser: CaptureParser, readSize = DEFAULT_CHUNK): number {
  const cb = new ChunkBuffer(Math.max(readSize, 64));
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

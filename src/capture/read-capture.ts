import fs from 'node:fs';
import { CaptureError } from './capture-error.js';
import { CaptureParser } from './capture-parser.js';
import type { CaptureSummary, PacketHandler } from './packet-record.js';
import { ioError } from './io-error.js';
import { DEFAULT_CHUNK, parseFd } from './sync-source.js';
import { isGzip, parseChunks, type ByteChunks } from './stream-source.js';

export { CaptureError } from './capture-error.js';

export interface ReadCaptureOptions {
  /** Name used in error messages; defaults to the path ('stdin' for '-'). */
  displayName?: string;
  /**
   * Largest number of bytes handed to the parser at a time. Only tests
   * lower it, to push records across chunk boundaries.
   */
  chunkSize?: number;
}

/**
 * Reads a pcap or pcapng capture (optionally gzip-compressed, detected by
 * its magic bytes) from a file or, for '-', from standard input, calling
 * `onPacket` synchronously for each packet record with one reused record.
 * Throws CaptureError for unreadable or corrupt input, after delivering
 * every record that came before the problem.
 */
export async function readCapture(path: string, onPacket: PacketHandler, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  if (path === '-') {
    return readCaptureStream(process.stdin, onPacket, { ...opts, displayName: opts.displayName ?? 'stdin' });
  }
  const file = opts.displayName ?? path;
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw ioError(file, err);
  }
  let gzip: boolean | null;
  try {
    let stat: fs.Stats;
    try {
      stat = fs.fstatSync(fd);
    } catch (err) {
      throw ioError(file, err);
    }
    if (stat.isDirectory()) throw new CaptureError(file, null, 'is a directory');
    // Pipes, FIFOs and devices cannot be probed with positional reads.
    gzip = stat.isFile() ? isGzip(probe(fd, file)) : null;
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  if (gzip === false) {
    try {
      const parser = new CaptureParser(file, onPacket);
      const bytes = parseFd(fd, file, parser, opts.chunkSize ?? DEFAULT_CHUNK);
      return parser.summary(false, bytes);
    } finally {
      fs.closeSync(fd);
    }
  }
  // From here the stream owns the descriptor and closes it when destroyed.
  const stream = fs.createReadStream('', { fd, start: gzip === null ? undefined : 0, highWaterMark: 1024 * 1024 });
  try {
    return await readCaptureStream(stream, onPacket, { ...opts, displayName: file, emptyReason: 'empty file' });
  } finally {
    if (!stream.closed) {
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      stream.on('error', () => undefined);
      stream.destroy();
      await closed;
    }
  }
}

/** First two bytes, read without moving the file position. */
function probe(fd: number, file: string): Buffer {
  const head = Buffer.alloc(2);
  try {
    const n = fs.readSync(fd, head, 0, 2, 0);
    return head.subarray(0, n);
  } catch (err) {
    throw ioError(file, err);
  }
}

/**
 * Same as readCapture for an already open byte stream (stdin, a socket,
 * a child process's stdout): records are delivered as chunks arrive.
 */
export async function readCaptureStream(
  source: ByteChunks,
  onPacket: PacketHandler,
  opts: ReadCaptureOptions & { emptyReason?: string } = {},
): Promise<CaptureSummary> {
  const file = opts.displayName ?? 'stream';
  const parser = new CaptureParser(file, onPacket);
  const { bytes, gzip } = await parseChunks(source, file, parser, {
    readSize: opts.chunkSize,
    emptyReason: opts.emptyReason ?? 'empty input',
  });
  return parser.summary(gzip, bytes);
}

/** A capture already in memory (not gzip-compressed): handy for tests and small inputs. */
export function readCaptureBuffer(data: Buffer, onPacket: PacketHandler, opts: { displayName?: string } = {}): CaptureSummary {
  const file = opts.displayName ?? 'buffer';
  if (isGzip(data)) throw new CaptureError(file, 0, 'gzip-compressed data; use readCaptureStream');
  const parser = new CaptureParser(file, onPacket);
  const pos = parser.parse(data, 0, data.length, 0);
  parser.finish(pos, data.length - pos, 'empty file');
  return parser.summary(false, data.length);
}

import fs from 'node:fs';
import zlib from 'node:zlib';
import { CaptureError } from './capture-error.js';
import { CaptureParser } from './capture-parser.js';
import type { ChunkAllocator } from './chunk-buffer.js';
import type { PcapRecordRun } from './pcap.js';
import type { PcapngBlockRun } from './pcapng-run.js';
import type { CaptureSummary, PacketHandler } from './packet-record.js';
import { ioError } from './io-error.js';
import { DEFAULT_CHUNK, parseFd } from './sync-source.js';
import { isGzip, parseChunks, prepend, type ByteChunks } from './stream-source.js';

export { CaptureError } from './capture-error.js';

export interface ReadCaptureOptions {
  /** Name used in error messages; defaults to the path ('stdin' for '-'). */
  displayName?: string;
  /**
   * Largest number of bytes handed to the parser at a time. Only tests
   * lower it, to push records across chunk boundaries.
   */
  chunkSize?: number;
  /** Where to read into (the tracker's memory: frames there are tracked without a copy). */
  chunkBuffer?: ChunkAllocator;
  /** Takes runs of classic pcap records at once instead of calling onPacket for each. */
  pcapRecords?: PcapRecordRun;
  /** Takes runs of pcapng packet blocks at once instead of calling onPacket for each. */
  pcapngBlocks?: PcapngBlockRun;
}

/**
 * Reads a pcap or pcapng capture (optionally gzip-compressed, detected by
 * its magic bytes) from a file or, for '-', from standard input, calling
 * `onPacket` synchronously for each packet record with one reused record.
 * Throws CaptureError for unreadable or corrupt input, after delivering
 * every record that came before the problem.
 */
export async function readCapture(path: string, onPacket: PacketHandler, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  if (path === '-') return readStdin(onPacket, { ...opts, displayName: opts.displayName ?? 'stdin' });
  const file = opts.displayName ?? path;
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw ioError(file, err);
  }
  let stream: fs.ReadStream | null = null;
  try {
    const stat = statOf(fd, file);
    if (stat.isFile()) {
      const head = readHead(fd, file);
      if (!isGzip(head)) return readPlainFd(fd, file, onPacket, opts, head, stat.size);
      stream = fs.createReadStream('', { fd, highWaterMark: 1024 * 1024 });
      return await readChunks(prepend(head, stream), onPacket, file, opts, 'empty file');
    }
    // FIFOs and devices: a blocking read would stall the event loop until the writer speaks.
    stream = fs.createReadStream('', { fd, highWaterMark: 1024 * 1024 });
    return await readChunks(stream, onPacket, file, opts, 'empty file');
  } finally {
    if (stream === null) fs.closeSync(fd);
    else await closeStream(stream);
  }
}

/**
 * Standard input redirected from a file gets the fast synchronous path;
 * pipes and terminals are read as a stream so records flow as they arrive.
 */
async function readStdin(onPacket: PacketHandler, opts: ReadCaptureOptions & { displayName: string }): Promise<CaptureSummary> {
  let isFile = false;
  try {
    isFile = fs.fstatSync(0).isFile();
  } catch {
    // No usable descriptor 0 (e.g. closed): let process.stdin report it.
  }
  if (!isFile) return readCaptureStream(process.stdin, onPacket, opts);
  const head = readHead(0, opts.displayName);
  if (!isGzip(head)) return readPlainFd(0, opts.displayName, onPacket, opts, head, DEFAULT_CHUNK);
  return readCaptureStream(prepend(head, process.stdin), onPacket, opts);
}

function readPlainFd(
  fd: number,
  file: string,
  onPacket: PacketHandler,
  opts: ReadCaptureOptions,
  head: Buffer,
  sizeHint: number,
): CaptureSummary {
  const parser = new CaptureParser(file, onPacket, opts.pcapRecords, opts.pcapngBlocks);
  const bytes = parseFd(fd, file, parser, {
    readSize: opts.chunkSize ?? DEFAULT_CHUNK,
    prefix: head,
    sizeHint,
    chunkBuffer: opts.chunkBuffer,
  });
  return parser.summary(false, bytes);
}

function statOf(fd: number, file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch (err) {
    throw ioError(file, err);
  }
  if (stat.isDirectory()) throw new CaptureError(file, null, 'is a directory');
  return stat;
}

/**
 * The first two bytes (fewer only at end of file), read from the current
 * position so that it also works on an inherited stdin; the caller replays them.
 */
function readHead(fd: number, file: string): Buffer {
  const head = Buffer.alloc(2);
  let got = 0;
  try {
    while (got < 2) {
      const n = fs.readSync(fd, head, got, 2 - got, null);
      if (n === 0) break;
      got += n;
    }
  } catch (err) {
    throw ioError(file, err);
  }
  return head.subarray(0, got);
}

/** A file stream owns its descriptor: wait for it to close it, even after an error. */
async function closeStream(stream: fs.ReadStream): Promise<void> {
  if (stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.on('error', () => undefined);
  stream.destroy();
  await closed;
}

/**
 * Same as readCapture for an already open byte stream (stdin, a socket,
 * a child process's stdout): records are delivered as chunks arrive.
 */
export async function readCaptureStream(
  source: ByteChunks,
  onPacket: PacketHandler,
  opts: ReadCaptureOptions = {},
): Promise<CaptureSummary> {
  return readChunks(source, onPacket, opts.displayName ?? 'stream', opts, 'empty input');
}

async function readChunks(
  source: ByteChunks,
  onPacket: PacketHandler,
  file: string,
  opts: ReadCaptureOptions,
  emptyReason: string,
): Promise<CaptureSummary> {
  const parser = new CaptureParser(file, onPacket, opts.pcapRecords, opts.pcapngBlocks);
  const { bytes, gzip } = await parseChunks(source, file, parser, { readSize: opts.chunkSize, emptyReason, chunkBuffer: opts.chunkBuffer });
  return parser.summary(gzip, bytes);
}

/** A capture already in memory (gzip allowed): handy for tests and small inputs. */
export function readCaptureBuffer(data: Buffer, onPacket: PacketHandler, opts: { displayName?: string } = {}): CaptureSummary {
  const file = opts.displayName ?? 'buffer';
  const gzip = isGzip(data);
  let bytes = data;
  if (gzip) {
    try {
      bytes = zlib.gunzipSync(data);
    } catch (err) {
      throw new CaptureError(file, null, `gzip data is corrupt or cut short (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const parser = new CaptureParser(file, onPacket);
  const pos = parser.parse(bytes, 0, bytes.length, 0);
  parser.finish(pos, bytes.length - pos, gzip ? 'empty file (after gunzip)' : 'empty file');
  return parser.summary(gzip, bytes.length);
}

import { readCapture } from '../../src/capture/read-capture.js';
import type { CaptureSummary, PacketRecord } from '../../src/capture/packet-record.js';

/** A copy of one delivered record: the reader reuses its record and buffer, so tests must copy. */
export interface Got {
  frame: number;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  linkType: number;
  interfaceId: number;
  fileOffset: number;
  data: Buffer;
}

export function snapshot(r: PacketRecord): Got {
  return {
    frame: r.frame,
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    capLen: r.capLen,
    origLen: r.origLen,
    linkType: r.linkType,
    interfaceId: r.interfaceId,
    fileOffset: r.fileOffset,
    data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)),
  };
}

/** Every record of a capture file, read with an optional (tiny, for tests) chunk size. */
export async function collect(file: string, chunkSize?: number): Promise<{ recs: Got[]; summary: CaptureSummary }> {
  const recs: Got[] = [];
  const summary = await readCapture(file, (r) => recs.push(snapshot(r)), { chunkSize });
  return { recs, summary };
}

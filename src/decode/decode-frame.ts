import type { PacketRecord } from '../capture/packet-record.js';
import { instantiatePass, type PassExports } from '../track/wasm-pass.js';
import { DECODED_TCP } from './decode-status.js';
import type { DecodedTcp } from './decoded-tcp.js';
import { PacketBlock } from './packet-block.js';

/**
 * A WebAssembly decoder of its own, for decoding without tracking (tests,
 * one-off tools): the capture pass decodes inside the tracker (src/wasm/).
 */
class FrameDecoder {
  private readonly x: PassExports;
  private readonly block: PacketBlock;
  private readonly scratch: Uint8Array;
  private readonly scratchAt: number;

  constructor() {
    const none = (): void => undefined;
    const { exports, memory } = instantiatePass({ onReset: none }, 16, 1e9, 0);
    this.x = exports;
    this.block = new PacketBlock(memory.buffer, exports.packetAddress());
    this.scratchAt = exports.scratchAddress();
    this.scratch = new Uint8Array(memory.buffer, this.scratchAt, exports.scratchBytes());
  }

  decode(rec: PacketRecord, out: DecodedTcp): number {
    const n = Math.min(rec.capLen, this.scratch.length);
    this.scratch.set(rec.buf.subarray(rec.offset, rec.offset + n), 0);
    const status = this.x.decode(this.scratchAt, rec.capLen, rec.linkType);
    if (status === DECODED_TCP) this.block.read(out);
    return status;
  }
}

let decoder: FrameDecoder | null = null;

/**
 * Decode a captured frame down to TCP. Returns DECODED_TCP with `out` filled,
 * or the reason the frame is not usable TCP.
 */
export function decodeFrame(rec: PacketRecord, out: DecodedTcp): number {
  decoder ??= new FrameDecoder();
  return decoder.decode(rec, out);
}

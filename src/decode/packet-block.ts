import * as layout from './decoded-layout.js';
import type { DecodedTcp } from './decoded-tcp.js';

// Module-local copies: V8 folds a module's own constants into optimized code, not imported ones.
const {
  P_ACK,
  P_BYTES,
  P_DF,
  P_DPORT,
  P_DST,
  P_FLAGS,
  P_IPID,
  P_IPLEN,
  P_IPVER,
  P_MSS,
  P_PAYLOAD,
  P_SACKPERM,
  P_SEQ,
  P_SNAPPED,
  P_SPORT,
  P_SRC,
  P_TIMESTAMPS,
  P_TTL,
  P_WINDOW,
  P_WSCALE,
} = layout;

/** The block the WebAssembly decoder writes each decoded packet into, read back as a DecodedTcp. */
export class PacketBlock {
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;

  constructor(buffer: ArrayBufferLike, address: number) {
    this.u8 = new Uint8Array(buffer, address, P_BYTES);
    this.u16 = new Uint16Array(buffer, address, P_BYTES / 2);
    this.u32 = new Uint32Array(buffer, address, P_BYTES / 4);
    this.i32 = new Int32Array(buffer, address, P_BYTES / 4);
  }

  /** Copies the decoded fields into `out`. */
  read(out: DecodedTcp): DecodedTcp {
    const { u8, u16, u32, i32 } = this;
    out.ipVersion = u8[P_IPVER] === 6 ? 6 : 4;
    for (let k = 0; k < 4; k++) {
      out.src[k] = u32[P_SRC / 4 + k]!;
      out.dst[k] = u32[P_DST / 4 + k]!;
    }
    out.ttl = u8[P_TTL]!;
    out.ipId = i32[P_IPID / 4]!;
    out.df = u8[P_DF] === 1;
    out.ipLen = i32[P_IPLEN / 4]!;
    out.srcPort = u16[P_SPORT / 2]!;
    out.dstPort = u16[P_DPORT / 2]!;
    out.seq = u32[P_SEQ / 4]!;
    out.ack = u32[P_ACK / 4]!;
    out.flags = u8[P_FLAGS]!;
    out.window = u16[P_WINDOW / 2]!;
    out.payloadLen = i32[P_PAYLOAD / 4]!;
    out.snapped = u8[P_SNAPPED] === 1;
    out.mss = i32[P_MSS / 4]!;
    out.wscale = i32[P_WSCALE / 4]!;
    out.sackPerm = u8[P_SACKPERM] === 1;
    out.hasTimestamps = u8[P_TIMESTAMPS] === 1;
    return out;
  }
}

/**
 * One captured frame as handed from a capture source to the decoder.
 *
 * A single instance is reused for every packet of a capture: the hot path
 * must not allocate per packet, so consumers copy out what they keep and
 * never hold on to `buf` after the callback returns.
 */
export interface PacketRecord {
  /** Buffer holding the frame bytes; only valid during the callback. */
  buf: Buffer;
  /** Offset of the first link-layer byte in `buf`. */
  offset: number;
  /** Bytes captured (≤ origLen when the snaplen cut the frame). */
  capLen: number;
  /** Length of the frame on the wire; WIRE_LENGTH_UNKNOWN when the source does not say. */
  origLen: number;
  /** Whole seconds since the Unix epoch. */
  tsSec: number;
  /** Nanoseconds within the second, 0..999_999_999. */
  tsNsec: number;
  /** LINKTYPE_* value of the interface the frame came from. */
  linkType: number;
  /** pcapng interface id (0 for pcap and live sources). */
  interfaceId: number;
  /** 1-based frame number, counted the way tshark counts frames. */
  frame: number;
  /** Byte offset of the record in the (decompressed) capture stream. */
  fileOffset: number;
}

/**
 * The wire length of a frame whose source does not tell it (a live capture
 * through cap, when the frame filled the snaplen): the decoder then believes
 * the IP header's length, as for a frame cut by the snaplen.
 */
export const WIRE_LENGTH_UNKNOWN = 0xffffffff;

export function newPacketRecord(): PacketRecord {
  return {
    buf: Buffer.alloc(0),
    offset: 0,
    capLen: 0,
    origLen: 0,
    tsSec: 0,
    tsNsec: 0,
    linkType: 0,
    interfaceId: 0,
    frame: 0,
    fileOffset: 0,
  };
}

export type PacketHandler = (rec: PacketRecord) => void;

/** What a capture reader learned about the capture as a whole. */
export interface CaptureSummary {
  format: 'pcap' | 'pcapng';
  /** True when the stream was gzip-compressed. */
  gzip: boolean;
  frames: number;
  bytes: number;
  /** Link types seen, by LINKTYPE_* number. */
  linkTypes: number[];
  /** Timestamp precision of the capture in nanoseconds per tick (1 for ns, 1000 for µs). */
  tsResolutionNs: number;
  /** Drops reported by the capture (pcapng ISB / EPB), when known. */
  dropsReported: number | null;
}

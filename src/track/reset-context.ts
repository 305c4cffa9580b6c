/**
 * What the tracker knew when a RST arrived: the RST's own header facts and
 * the connection's state just before it. Reset attribution works from this.
 */
export interface ResetContext {
  conn: number;
  frame: number;
  /** ns relative to the tracker's time base */
  time: number;
  /** direction of the RST (0 = client → server) */
  dir: number;
  ttl: number;
  /** IPv4 id, -1 for IPv6 */
  ipId: number;
  window: number;
  seq: number;
  ack: number;
  withAck: boolean;
  hasTimestamps: boolean;
  payloadLen: number;
  /** Next sequence number the RST's sender was expected to use, when known. */
  expectedSeq: number | null;
  /** IP ID of the sender's previous packet, when the sender used non-zero (counter) IDs. */
  senderLastIpId: number | null;
  /** The packet of this connection just before the RST: its trigger when it came from the other side. */
  previous: {
    frame: number;
    time: number;
    dir: number;
    kind: number;
    /** Silence in the connection before that packet (ns), when it went into the event log. */
    idleNs: number | null;
  } | null;
}

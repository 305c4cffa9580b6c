import type { PacketRecord } from '../capture/packet-record.js';
import { flagLetters, type DecodedTcp } from '../decode/decoded-tcp.js';
import type { PacketEvent } from '../model/analysis-report.js';
import { KIND_NAMES } from '../track/packet-kind.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { addressText } from '../util/ip-text.js';
import { epochText } from '../util/time-text.js';

/** One `--events` JSON object for the packet just tracked. */
export function packetEvent(tracker: TcpTracker, pkt: DecodedTcp, rec: PacketRecord, kind: number, file?: string): PacketEvent {
  const v6 = pkt.ipVersion === 6;
  const ev: PacketEvent = {
    frame: rec.frame,
    ts: epochText(rec.tsSec, rec.tsNsec),
    conn: tracker.lastId,
    dir: tracker.lastDir === 0 ? 'c2s' : 's2c',
    kind: KIND_NAMES[kind]!,
    flags: flagLetters(pkt.flags),
    seq: pkt.seq,
    ack: pkt.ack,
    len: pkt.payloadLen,
    ttl: pkt.ttl,
    win: pkt.window,
    src: addressText(pkt.src, 0, v6),
    dst: addressText(pkt.dst, 0, v6),
    ipId: pkt.ipId >= 0 ? pkt.ipId : null,
  };
  return file === undefined ? ev : { file, ...ev };
}

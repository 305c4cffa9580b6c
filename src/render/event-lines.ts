import type { PacketRecord } from '../capture/packet-record.js';
import { flagLetters, type DecodedTcp } from '../decode/decoded-tcp.js';
import type { PacketEvent } from '../model/analysis-report.js';
import {
  PH_ACK,
  PH_C2S,
  PH_CONN,
  PH_DST,
  PH_END,
  PH_FLAGS,
  PH_IPID,
  PH_KINDS,
  PH_LEN,
  PH_NULL,
  PH_S2C,
  PH_SRC,
  PH_TS,
  PH_TTL,
  PH_WIN,
  PHRASE_COUNT,
} from '../track/event-line-layout.js';
import { KIND_NAMES } from '../track/packet-kind.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { addressText } from '../util/ip-text.js';
import { epochText } from '../util/time-text.js';

/** One `--events` JSON object for the packet just tracked: the definition the bytes of the WebAssembly encoder (src/wasm/event-line.ts) must equal. */
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

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** The start of a line, up to the frame number: with the capture's name (UTF-8, as JSON.stringify's text is written) when there are several. */
function headBytes(file: string | undefined): Uint8Array {
  return Uint8Array.from(Buffer.from(file === undefined ? '{"frame":' : `{"file":${JSON.stringify(file)},"frame":`));
}

/**
 * The fixed texts of a line for the WebAssembly encoder (src/wasm/event-line.ts),
 * in track/event-line-layout.ts order: packetEvent's keys and fixed values as JSON.stringify writes them.
 */
export function eventLinePhrases(file?: string): { head: Uint8Array; phrases: Uint8Array[] } {
  const phrases: Uint8Array[] = Array.from({ length: PHRASE_COUNT }, () => new Uint8Array(0));
  const at: [number, string][] = [
    [PH_TS, ',"ts":"'],
    [PH_CONN, '","conn":'],
    [PH_C2S, ',"dir":"c2s"'],
    [PH_S2C, ',"dir":"s2c"'],
    [PH_ACK, ',"ack":'],
    [PH_LEN, ',"len":'],
    [PH_TTL, ',"ttl":'],
    [PH_WIN, ',"win":'],
    [PH_SRC, ',"src":"'],
    [PH_DST, '","dst":"'],
    [PH_IPID, '","ipId":'],
    [PH_NULL, 'null'],
    [PH_END, '}\n'],
  ];
  for (const [i, text] of at) phrases[i] = ascii(text);
  KIND_NAMES.forEach((name, k) => (phrases[PH_KINDS + k] = ascii(`,"kind":"${name}","flags":"`)));
  for (let f = 0; f < 256; f++) phrases[PH_FLAGS + f] = ascii(`${flagLetters(f)}","seq":`);
  return { head: headBytes(file), phrases };
}

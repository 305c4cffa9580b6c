/**
 * Synthetic capture for the memory probe: N connections that all open (full
 * handshake with options, one request/response exchange) and never close, so at
 * the end of the capture the tracker holds N concurrent connections.
 */
import { OPT_SYN, OPT_TS, PcapWriter, Rng, SERVER_NET, TCP_ACK, TCP_PSH, TCP_SYN, clientEndpoint, newSegment } from './pcap-writer.js';

export interface OpenTruth {
  packets: number;
  bytes: number;
  connections: number;
}

const BASE_SEC = 1_700_100_000;
/** Connections are opened in interleaved batches, like a burst of clients arriving together. */
const BATCH = 2048;
const PACKETS_PER_CONN = 6;

export function generateOpenCapture(path: string, connections: number, seed: number, snaplen: number): OpenTruth {
  const rng = new Rng(seed);
  const w = new PcapWriter(path, snaplen);
  const s = newSegment();
  const cIsn = new Uint32Array(BATCH);
  const sIsn = new Uint32Array(BATCH);
  const cPort = new Uint16Array(BATCH);
  const reqLen = new Uint16Array(BATCH);
  const respLen = new Uint16Array(BATCH);
  // One µs between packets: 6 M packets span six seconds.
  let nowUs = BASE_SEC * 1e6;

  for (let base = 0; base < connections; base += BATCH) {
    const count = Math.min(BATCH, connections - base);
    for (let i = 0; i < count; i++) {
      cIsn[i] = rng.u32();
      sIsn[i] = rng.u32();
      cPort[i] = clientEndpoint(base + i).port;
      reqLen[i] = rng.int(40, 400);
      respLen[i] = rng.int(40, 1448);
    }
    for (let step = 0; step < PACKETS_PER_CONN; step++) {
      for (let i = 0; i < count; i++) {
        const id = base + i;
        // i < count <= BATCH, the length of every per-batch array: these reads are in bounds.
        const c = cIsn[i]!;
        const sv = sIsn[i]!;
        const port = cPort[i]!;
        const req = reqLen[i]!;
        const resp = respLen[i]!;
        const c2s = step !== 1 && step !== 4;
        const v6 = id % 10 === 9;
        const client = v6 ? id + 1 : clientEndpoint(id).addr;
        const server = v6 ? 1 : SERVER_NET + 1;
        s.ipv6 = v6;
        s.src = c2s ? client : server;
        s.dst = c2s ? server : client;
        s.src6hi = v6 && c2s ? 0x02000000 : 0;
        s.dst6hi = v6 && !c2s ? 0x02000000 : 0;
        s.sport = c2s ? port : 443;
        s.dport = c2s ? 443 : port;
        s.ttl = c2s ? 57 : 64;
        s.ipId = id + step;
        s.window = c2s ? 2058 : 501;
        s.payloadLen = 0;
        s.opts = step < 2 ? OPT_SYN : OPT_TS;
        s.tsVal = Math.floor(nowUs / 1000) >>> 0;
        s.tsEcr = step === 0 ? 0 : s.tsVal - 1;
        switch (step) {
          case 0:
            s.flags = TCP_SYN;
            s.seq = c;
            s.ack = 0;
            s.window = 64240;
            s.mss = 1460;
            s.wscale = 7;
            break;
          case 1:
            s.flags = TCP_SYN | TCP_ACK;
            s.seq = sv;
            s.ack = c + 1;
            s.window = 65160;
            s.mss = 1460;
            s.wscale = 9;
            break;
          case 2:
            s.flags = TCP_ACK;
            s.seq = c + 1;
            s.ack = sv + 1;
            break;
          case 3:
            s.flags = TCP_PSH | TCP_ACK;
            s.seq = c + 1;
            s.ack = sv + 1;
            s.payloadLen = req;
            break;
          case 4:
            s.flags = TCP_PSH | TCP_ACK;
            s.seq = sv + 1;
            s.ack = c + 1 + req;
            s.payloadLen = resp;
            break;
          default:
            s.flags = TCP_ACK;
            s.seq = c + 1 + req;
            s.ack = sv + 1 + resp;
            break;
        }
        s.tsSec = Math.floor(nowUs / 1e6);
        s.tsUsec = nowUs - s.tsSec * 1e6;
        w.write(s, c2s);
        nowUs += 1;
      }
    }
  }
  w.close();
  return { packets: w.packets, bytes: w.offset, connections };
}

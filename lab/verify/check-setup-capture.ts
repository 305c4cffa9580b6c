/**
 * A set-up scenario's captures against its ground truth, as tshark decodes
 * them (not kad): SYN and SYN-ACK retransmissions per connection, whether
 * the handshake completes, and each expected kind's packet signature. If
 * these fail, the scenario (not the analyzer) is wrong.
 */
import type { Edge, LabTruth } from '../truth.js';
import type { SetupFailureKind } from '../setup/contract.js';
import { inGroup, inRange, rangeText } from '../setup/group-match.js';
import type { SetupGroup } from '../setup/setup-truth.js';
import { Checks, EDGES, everyConnection, canonicalAddr, type Check } from './check.js';
import { TCP, type Frame } from './tshark-frames.js';

const has = (f: Frame, flag: number): boolean => (f.flags & flag) !== 0;
const isSyn = (f: Frame): boolean => has(f, TCP.SYN) && !has(f, TCP.ACK);
const isSynAck = (f: Frame): boolean => has(f, TCP.SYN) && has(f, TCP.ACK);
const isRst = (f: Frame): boolean => has(f, TCP.RST);

/** One connection's frames at one edge, split by sender. */
interface Conn {
  port: number;
  frames: Frame[];
  fromClient: (f: Frame) => boolean;
}

function connsOf(g: SetupGroup, frames: readonly Frame[]): Conn[] {
  const byPort = new Map<number, Frame[]>();
  for (const f of frames) {
    const up = canonicalAddr(f.src) === canonicalAddr(g.client) && f.dport === g.server.port;
    const down = canonicalAddr(f.dst) === canonicalAddr(g.client) && f.sport === g.server.port;
    if (!up && !down) continue;
    const port = up ? f.sport : f.dport;
    if (!inGroup(g, { addr: g.client, port }, g.server.port, f.t * 1000)) continue;
    const list = byPort.get(port) ?? [];
    list.push(f);
    byPort.set(port, list);
  }
  return [...byPort].map(([port, fs]) => ({
    port,
    frames: fs,
    fromClient: (f) => f.sport === port && canonicalAddr(f.src) === canonicalAddr(g.client),
  }));
}

/** The client acknowledged the server's SYN-ACK (with a pure ACK or data): the handshake is complete at the client. */
function handshakeDone(c: Conn): boolean {
  const synAck = c.frames.findIndex((f) => !c.fromClient(f) && isSynAck(f));
  return synAck >= 0 && c.frames.slice(synAck + 1).some((f) => c.fromClient(f) && has(f, TCP.ACK) && !isRst(f) && !has(f, TCP.SYN));
}

/** What the packets of each kind look like, in tshark's terms (the contract's definitions). */
const SIGNATURE: Record<SetupFailureKind | 'none', (c: Conn) => boolean> = {
  none: (c) => handshakeDone(c) && !c.frames.some((f) => !c.fromClient(f) && isRst(f)),
  'syn-unanswered': (c) => c.frames.some(isSyn) && !c.frames.some((f) => !c.fromClient(f)),
  refused: (c) => {
    const answer = c.frames.find((f) => !c.fromClient(f));
    return answer !== undefined && isRst(answer) && !c.frames.some(isSynAck);
  },
  'listen-overflow': (c) => {
    const firstAck = c.frames.findIndex((f) => c.fromClient(f) && has(f, TCP.ACK) && !has(f, TCP.SYN) && !isRst(f));
    if (firstAck < 0 || !handshakeDone(c)) return false;
    const server = c.frames.filter((f) => !c.fromClient(f));
    const neverAcked = server.every((f) => f.ack <= 1);
    const after = c.frames.slice(firstAck + 1).filter((f) => !c.fromClient(f));
    return neverAcked && after.some((f) => isSynAck(f) || isRst(f));
  },
  'syn-ack-retries': (c) => c.frames.some((f) => !c.fromClient(f) && isSynAck(f) && f.retransmission),
  'port-reuse': (c) => {
    const syn = c.frames.findIndex(isSyn);
    const answer = c.frames.slice(syn + 1).find((f) => !c.fromClient(f));
    return syn >= 0 && answer !== undefined && !has(answer, TCP.SYN) && (has(answer, TCP.ACK) || isRst(answer));
  },
  'opening-reset': (c) => c.frames.some(isRst) && !c.frames.some((f) => f.len > 0),
  'injected-rst': (c) => {
    const rst = c.frames.findIndex((f) => !c.fromClient(f) && isRst(f));
    return rst >= 0 && c.frames.slice(rst + 1).some((f) => !c.fromClient(f) && isSynAck(f));
  },
};

export function checkSetupCaptures(truth: LabTruth, frames: Record<Edge, Frame[]>): Check[] {
  const c = new Checks();
  for (const g of truth.setup?.groups ?? []) {
    for (const edge of EDGES) checkGroup(c, g, edge, connsOf(g, frames[edge]));
    const overflowed = connsOf(g, frames.server);
    if (g.kind.server === 'listen-overflow') {
      // Each ACK-bearing segment of theirs that met the full queue counted once; the lab read the counter before the capture ended.
      const segments = overflowed.reduce(
        (n, k) => n + k.frames.filter((f) => k.fromClient(f) && has(f, TCP.ACK) && !has(f, TCP.SYN)).length,
        0,
      );
      const counted = truth.setup?.counters.measured.server.ListenOverflows ?? 0;
      c.that(
        'server',
        `ListenOverflows against the overflowed clients' ACK-bearing segments (${g.role})`,
        counted >= overflowed.length && counted <= segments,
        `${overflowed.length}..${segments}`,
        counted,
      );
    }
  }
  return c.list;
}

function checkGroup(c: Checks, g: SetupGroup, edge: Edge, conns: Conn[]): void {
  const tag = `${g.role}:`;
  const kind = g.kind[edge];
  if (kind === 'unseen') {
    c.eq(edge, `${tag} never reaches this capture point`, conns.length, 0);
    return;
  }
  if (g.ports !== null) c.eq(edge, `${tag} connections`, conns.map((k) => k.port).sort(), [...g.ports].sort());
  else c.atLeast(edge, `${tag} connections`, conns.length, 1);
  const every = everyConnection(c, edge, tag, conns, (k) => `port ${k.port}`);
  const synRetrans = g.synRetransmissions[edge];
  if (synRetrans) {
    every('SYN retransmissions (tshark)', rangeText(synRetrans), (k) => {
      const n = k.frames.filter((f) => k.fromClient(f) && isSyn(f) && f.retransmission).length;
      return inRange(n, synRetrans) ? null : String(n);
    });
  }
  const synAckRetrans = g.synAckRetransmissions[edge];
  if (synAckRetrans) {
    every('SYN-ACK retransmissions (tshark)', rangeText(synAckRetrans), (k) => {
      const n = k.frames.filter((f) => !k.fromClient(f) && isSynAck(f) && f.retransmission).length;
      return inRange(n, synAckRetrans) ? null : String(n);
    });
  }
  const completes = g.completes[edge];
  if (completes !== null)
    every('handshake completes', String(completes), (k) => (handshakeDone(k) === completes ? null : String(!completes)));
  if (kind === 'any') {
    every(`not the signature of ${g.wrongKinds.join(', ')}`, 'none of them', (k) => g.wrongKinds.find((w) => SIGNATURE[w](k)) ?? null);
  } else {
    every(`packets show ${kind ?? 'a clean set-up'}`, kind ?? 'none', (k) => (SIGNATURE[kind ?? 'none'](k) ? null : 'signature absent'));
  }
}

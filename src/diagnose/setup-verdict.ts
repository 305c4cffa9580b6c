import type { SetupFailureKind, SetupVerdict } from '../model/analysis-report.js';
import type { ResetContext } from '../track/reset-context.js';
import type { TcpTracker } from '../track/tcp-tracker.js';
import { durationText } from '../util/time-text.js';

/**
 * How a connection's set-up failed, from its packets: one rule per kind, tried
 * in a fixed order like the rows of a state table (DeepFlow's close types,
 * Wireshark's ordered checks). Earlier rows are the more specific: a RST to
 * the SYN is an injection when a SYN-ACK for that SYN came after it, port
 * reuse when it acknowledged something else, and only then a refusal.
 */

/** The sequence number after a SYN's. */
const next = (isn: number) => (isn + 1) >>> 0;

/** What the rules read about one connection, gathered once. */
export interface SetupFacts {
  path: string;
  sawSyn: boolean;
  midStream: boolean;
  /** The client's ACK completed the handshake. */
  established: boolean;
  synRetries: number;
  synAckRetries: number;
  clientIsn: number;
  serverIsn: number;
  resetBeforeSynAck: boolean;
  revived: boolean;
  oddAck: boolean;
  synAckAfterAck: boolean;
  end: ReturnType<TcpTracker['store']['endKind']>;
  clientPayload: number;
  serverPayload: number;
  serverPackets: number;
  serverRsts: number;
  /** The server acknowledged nothing beyond the client's SYN. */
  serverAckedOnlySyn: boolean;
  serverTtl: { min: number; max: number } | null;
  resets: readonly ResetContext[];
  /** Other connections to the same server that it answered with a SYN-ACK in the capture. */
  serverAnswered: number;
  firstNs: number;
  lastNs: number;
  captureEndNs: number;
}

export function setupFacts(
  tracker: TcpTracker,
  c: number,
  path: string,
  resets: readonly ResetContext[],
  captureEndNs: number,
): SetupFacts {
  const s = tracker.store;
  const serverPackets = s.packets(c, 1);
  // A RST without the ACK flag carries no acknowledgement: the server's last word on it is the packet before.
  const last = resets.findLast((r) => r.dir === 1);
  const ackless = last !== undefined && !last.withAck && last.frame === s.lastFrame(c, 1);
  const lastAck = s.lastAck(c, 1);
  return {
    path,
    sawSyn: s.sawSyn(c),
    midStream: s.midStream(c),
    established: s.setupNs(c) !== null,
    synRetries: s.synRetransmissions(c, 0),
    synAckRetries: s.synRetransmissions(c, 1),
    clientIsn: s.isn(c, 0),
    serverIsn: s.isn(c, 1),
    resetBeforeSynAck: s.resetBeforeSynAck(c),
    revived: s.revivedAfterReset(c),
    oddAck: s.synAnsweredByOddAck(c),
    synAckAfterAck: s.synAckAfterHandshake(c),
    end: s.endKind(c),
    clientPayload: s.payloadBytes(c, 0),
    serverPayload: s.payloadBytes(c, 1),
    serverPackets,
    serverRsts: s.rsts(c, 1),
    serverAckedOnlySyn: lastAck === next(s.isn(c, 0)) || (ackless && s.packets(c, 1) - s.rsts(c, 1) === 1 + s.synRetransmissions(c, 1)),
    serverTtl: serverPackets > 0 ? { min: s.ttlMin(c, 1), max: s.ttlMax(c, 1) } : null,
    resets,
    serverAnswered: 0,
    firstNs: s.firstTimeNs(c),
    lastNs: s.lastTimeNs(c),
    captureEndNs,
  };
}

/** A rule's finding before it is numbered; `words` false: summary and evidence stay empty. */
type Finding = Omit<SetupVerdict, 'conn'>;
type Rule = (f: SetupFacts, words: boolean) => Finding | null;

/** Linux's initial SYN retransmission timeout (RFC 6298's 1 s): a SYN not retried within it may still be answered. */
const INITIAL_RTO_NS = 1e9;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const serverRst = (f: SetupFacts) => f.resets.find((r) => r.dir === 1);

function finding(kind: SetupFailureKind, confidence: number, words: boolean, summary: () => string, evidence: () => string[]): Finding {
  return { kind, confidence, summary: words ? summary() : '', evidence: words ? evidence() : [] };
}

function rstText(r: ResetContext): string {
  return `frame ${r.frame}: ${r.withAck ? 'RST+ACK' : 'RST'} (TTL ${r.ttl}${r.ipId >= 0 ? `, IP ID ${r.ipId}` : ''}, window ${r.window})`;
}

function retryText(f: SetupFacts): string[] {
  const out: string[] = [];
  if (f.synRetries) out.push(`the client sent its SYN ${plural(f.synRetries, 'more time')} (same ISN ${f.clientIsn})`);
  if (f.synAckRetries) out.push(`the server sent its SYN-ACK ${plural(f.synAckRetries, 'more time')} (same ISN ${f.serverIsn})`);
  return out;
}

/** A RST claiming to be the server's answered the SYN, and then a SYN-ACK for that same SYN came: the server never refused it. */
const injectedRst: Rule = (f, w) => {
  if (!f.resetBeforeSynAck || !f.revived) return null;
  const rst = serverRst(f);
  const ttlSplit = f.serverTtl !== null && f.serverTtl.min !== f.serverTtl.max;
  return finding(
    'injected-rst',
    ttlSplit ? 0.9 : 0.8,
    w,
    () =>
      `a RST injected during set-up: something answered the SYN to ${f.path} with a RST in the server's name, but the server's own SYN-ACK for the same SYN followed and the connection went on; look for the device on the path that forges resets (a firewall or censor that blocks by content or address)`,
    () => [
      ...(rst ? [`${rstText(rst)} claiming to be from the server answered the client's SYN (ISN ${f.clientIsn})`] : []),
      `then a SYN-ACK acknowledging that same SYN (ack ${next(f.clientIsn)}) came and the handshake went on: a server that refused would not also accept`,
      ...(ttlSplit
        ? [
            `the server's packets arrive with TTLs from ${f.serverTtl!.min} to ${f.serverTtl!.max}: the RST came from another distance than the rest`,
          ]
        : [`the RST's TTL matches the server's packets, which an injector next to the server, or one that copies the TTL, also gives`]),
    ],
  );
};

/** The server still held the 4-tuple: it answered the SYN with an ACK (or RST) for an older connection. */
const portReuse: Rule = (f, w) => {
  const rst = serverRst(f);
  const oddRst = f.resetBeforeSynAck && rst !== undefined && rst.withAck && rst.ack !== next(f.clientIsn);
  if (!f.oddAck && !oddRst) return null;
  const clientRst = f.resets.find((r) => r.dir === 0);
  return finding(
    'port-reuse',
    f.oddAck ? 0.85 : 0.6,
    w,
    () =>
      `source port reuse: the SYN to ${f.path} came on a 4-tuple the server still held from an earlier connection, so it answered with ${f.oddAck ? 'an ACK for that connection' : 'a RST'} instead of a SYN-ACK; the client reuses source ports too fast (net.ipv4.tcp_tw_reuse, a wider net.ipv4.ip_local_port_range) or the server holds TIME_WAIT (it closes first)`,
    () => [
      f.oddAck
        ? `the server answered the SYN (ISN ${f.clientIsn}) with a bare ACK that does not acknowledge it (not ${next(f.clientIsn)}): a challenge ACK from an open or TIME_WAIT socket`
        : `${rstText(rst!)} answered the SYN with ack ${rst!.ack}, not ${next(f.clientIsn)}: it answers another connection on the same ports`,
      ...(clientRst ? [`the client reset that old connection (${rstText(clientRst)})`] : []),
      ...retryText(f),
      f.established ? 'a later SYN was answered and the connection went on' : 'the connection never completed in the capture',
    ],
  );
};

/** A RST answered the SYN: nothing listened, or a firewall rejected it. */
const refused: Rule = (f, w) => {
  if (f.end !== 'rejected') return null;
  const rst = serverRst(f);
  return finding(
    'refused',
    0.9,
    w,
    () => `connection refused: the SYN to ${f.path} was answered by a RST; nothing listens on that port, or a firewall rejects it`,
    () => [...(rst ? [`${rstText(rst)} answered the SYN (ISN ${f.clientIsn}) before any SYN-ACK`] : []), ...retryText(f)],
  );
};

/**
 * The client completed the handshake but the server's accept queue was full:
 * with tcp_abort_on_overflow=0 the server drops the client's ACK and keeps
 * resending its SYN-ACK, never acknowledging the client's data; with 1 it
 * answers the ACK at once with a socketless RST (no ACK flag, its ISN + 1).
 */
const listenOverflow: Rule = (f, w) => {
  if (!f.established) return null;
  const remedy = `raise net.core.somaxconn and the application's listen() backlog, or accept faster`;
  const dataUnacked = f.clientPayload > 0 && f.serverAckedOnlySyn;
  if (f.synAckAfterAck && f.serverPayload === 0 && f.serverAckedOnlySyn) {
    const rst = serverRst(f);
    const confidence = 0.6 + (dataUnacked ? 0.15 : 0) + (f.synAckRetries >= 2 ? 0.15 : 0);
    return finding(
      'listen-overflow',
      Math.round(confidence * 100) / 100,
      w,
      () =>
        `the listen queue of ${f.path} overflowed: the handshake completed at the client but the server's application never accepted it; ${remedy}`,
      () => [
        `the client's ACK completed the handshake, yet the server sent its SYN-ACK again (${plural(f.synAckRetries, 'retransmission')} in all): its stack dropped the ACK because the accept queue was full`,
        dataUnacked
          ? `the server never acknowledged any of the client's ${f.clientPayload} bytes of data`
          : 'the client sent no data; the server never acknowledged anything beyond the SYN',
        ...(rst ? [`the server finally reset it (${rstText(rst)}) when it gave up on the half-open request`] : []),
        ...(f.synAckRetries < 2 && !dataUnacked
          ? ['one SYN-ACK retransmission alone also fits a client ACK lost beyond the capture point']
          : []),
      ],
    );
  }
  const rst = serverRst(f);
  const onlyHandshake = f.serverPackets - f.serverRsts - 1 - f.synAckRetries === 0;
  if (rst && !rst.withAck && rst.seq === next(f.serverIsn) && f.serverPayload === 0 && onlyHandshake) {
    return finding(
      'listen-overflow',
      0.75,
      w,
      () =>
        `the listen queue of ${f.path} overflowed: the server reset the connection as soon as the client's ACK completed the handshake, as net.ipv4.tcp_abort_on_overflow=1 makes it do when the accept queue is full; ${remedy}`,
      () => [
        `${rstText(rst)} answered the client's ${rst.previous?.dir === 0 ? 'packet right after the handshake' : 'handshake'}: a socketless RST (no ACK flag, sequence ${rst.seq} = the server's ISN + 1), the kernel's answer for a request it could not queue`,
        'the server sent nothing else after its SYN-ACK',
        'an application that accepted and aborted at once would send RST+ACK from its socket instead',
      ],
    );
  }
  return null;
};

/** The server resent its SYN-ACK before any ACK came: the client's ACK (or the SYN-ACK itself) was lost or late. */
const synAckRetries: Rule = (f, w) => {
  // A handshake reset before any data is told as that reset: a SYN-ACK resent meanwhile is incidental.
  if (f.synAckRetries === 0 || (f.end === 'reset' && f.clientPayload + f.serverPayload === 0)) return null;
  return finding(
    'syn-ack-retries',
    f.established ? 0.8 : 0.6,
    w,
    () =>
      f.established
        ? `slow set-up with ${f.path}: the server had to resend its SYN-ACK because ${f.synRetries ? "the SYN-ACK or the client's ACK" : "the client's ACK"} was lost or late on the path; check the path for loss`
        : `the handshake with ${f.path} never completed: the server resent its SYN-ACK and no ACK came; the client's ACK was lost on the path, or the client never meant to answer (a spoofed SYN, as in a SYN flood)`,
    () => [
      ...retryText(f),
      f.established
        ? `the client's ACK completed the handshake only after the retransmission`
        : 'no ACK from the client completed the handshake in the capture',
    ],
  );
};

/** The SYN and its retries got no answer at all. */
const synUnanswered: Rule = (f, w) => {
  if (f.end !== 'no-answer') return null;
  const spanNs = f.lastNs - f.firstNs;
  const afterNs = f.captureEndNs - f.lastNs;
  // Retries double: past one more interval (the span so far plus the initial RTO), the client has given up.
  const gaveUp = afterNs > spanNs + INITIAL_RTO_NS;
  // A lone SYN at the very end of the capture (or of a live snapshot) may be answered yet: no verdict.
  if (f.synRetries === 0 && afterNs < INITIAL_RTO_NS) return null;
  return finding(
    'syn-unanswered',
    gaveUp || f.synRetries > 0 ? 0.9 : 0.7,
    w,
    () =>
      f.serverAnswered > 0
        ? `the SYN to ${f.path} got no answer${gaveUp ? ' and the client gave up' : ''}, while the server answered other connections: its listen queue was probably full (a Linux server drops SYNs while its accept queue is full: ListenOverflows, ListenDrops; raise net.core.somaxconn and the application's listen() backlog, or accept faster), or a firewall drops some of them; check the path if the capture was not taken at the server`
        : `the SYN to ${f.path} got no answer${gaveUp ? ' and the client gave up' : ''}: a black hole or a firewall dropping it, or the host is down; check the path (a capture at the server tells which)`,
    () => [
      `${plural(f.synRetries + 1, 'SYN')} (ISN ${f.clientIsn}) over ${durationText(spanNs / 1e9)}, nothing came back`,
      gaveUp
        ? `the capture went on ${durationText(afterNs / 1e9)} after the last SYN without another retry: the client gave up`
        : `the capture ended ${durationText(afterNs / 1e9)} after the last SYN, before the client's next retry was due`,
      ...(f.serverAnswered > 0
        ? [`the same server sent SYN-ACKs to ${plural(f.serverAnswered, 'other connection')} in this capture: it was up and listening`]
        : []),
    ],
  );
};

/** Any other RST before a byte of data: the application or a middlebox aborted the opening. */
const openingReset: Rule = (f, w) => {
  const first = f.resets[0];
  if (!first || f.midStream || !f.sawSyn || f.clientPayload + f.serverPayload > 0) return null;
  const who = first.dir === 0 ? 'client' : 'server';
  const why =
    who === 'client'
      ? `the client's application gave up (a connect timeout, or a close with SO_LINGER 0) or its stack no longer knew the connection`
      : `the server's application closed it at once (SO_LINGER 0), or a firewall reset it`;
  return finding(
    'opening-reset',
    0.7,
    w,
    () =>
      `reset ${f.established ? 'right after' : 'during'} set-up, before any data: a RST claiming to be from the ${who}; ${why}; the RST's evidence tells who sent it`,
    () => [
      `${rstText(first)} from the ${who}'s side, ${f.established ? 'after the handshake completed' : 'before the handshake completed'}, no data either way`,
      ...retryText(f),
    ],
  );
};

/** The rows, in order: the first that matches names the failure. */
const RULES: readonly Rule[] = [injectedRst, portReuse, refused, listenOverflow, synAckRetries, synUnanswered, openingReset];

export function judgeSetup(facts: SetupFacts, conn: number, words: boolean): SetupVerdict | null {
  if (facts.midStream) return null;
  for (const rule of RULES) {
    const f = rule(facts, words);
    if (f) return { conn, ...f };
  }
  return null;
}

/** What decides, without gathering the facts, whether any rule above could match: a few fields of SetupFacts. */
export type SetupGate = Pick<SetupFacts, 'midStream' | 'synAckRetries' | 'oddAck' | 'end' | 'resetBeforeSynAck' | 'serverPayload'> & {
  hasReset: boolean;
};

/**
 * Whether the rules are worth trying. Without a RST, only for the three
 * failures that need none. With one, false only when no rule in RULES can
 * match: each clause is the cheapest precondition of some rule, so a change
 * to a rule's precondition belongs here too (test/setup-gate.test.ts holds
 * this against judgeSetup on random facts). Most reset connections exchanged
 * data: they skip the facts altogether.
 */
export function setupCanFail(g: SetupGate): boolean {
  if (g.midStream) return false;
  // syn-ack-retries; port-reuse (the odd ACK); syn-unanswered.
  if (g.synAckRetries > 0 || g.oddAck || g.end === 'no-answer') return true;
  if (!g.hasReset) return false;
  // injected-rst and port-reuse (a RST before the SYN-ACK); refused;
  // listen-overflow and opening-reset both need a server that sent no payload.
  return g.resetBeforeSynAck || g.end === 'rejected' || g.serverPayload === 0;
}

/** One gate reused for every connection: deciding must not allocate per connection. */
const gate: SetupGate = {
  midStream: false,
  synAckRetries: 0,
  oddAck: false,
  end: 'open',
  resetBeforeSynAck: false,
  serverPayload: 0,
  hasReset: false,
};

/** Connections whose set-up may have failed: the only ones worth gathering facts for. */
export function maySetupFail(tracker: TcpTracker, c: number, hasReset: boolean): boolean {
  const s = tracker.store;
  if (s.midStream(c)) return false;
  gate.midStream = false;
  gate.synAckRetries = s.synRetransmissions(c, 1);
  gate.oddAck = s.synAnsweredByOddAck(c);
  gate.end = s.endKind(c);
  gate.resetBeforeSynAck = s.resetBeforeSynAck(c);
  gate.serverPayload = s.payloadBytes(c, 1);
  gate.hasReset = hasReset;
  return setupCanFail(gate);
}

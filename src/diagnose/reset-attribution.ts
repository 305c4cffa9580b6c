import type { Evidence, EvidenceStrength, ResetAttribution } from '../report/analysis-report.js';
import { K_DATA, K_KEEPALIVE, K_RETRANSMISSION, KIND_NAMES } from '../track/packet-kind.js';
import type { ResetContext } from '../track/reset-context.js';
import { durationText } from '../util/time-text.js';
import type { ConnectionFacts } from './connection-facts.js';
import { estimateHops } from './hop-count.js';

const WEIGHT: Record<EvidenceStrength, number> = { decisive: 100, strong: 3, medium: 2, weak: 1 };

/** Below this handshake RTT, "faster than the peer could answer" cannot be told from noise. */
const MIN_RTT_FOR_TIMING_NS = 1e6;
/** The first packet after at least this much silence is the classic victim of an expired middlebox entry. */
const SUSPICIOUS_IDLE_NS = 1e9;

export interface ResetInputs {
  rst: ResetContext;
  facts: ConnectionFacts;
  /** All RSTs of the same connection, in order (this one included). */
  siblings: ResetContext[];
  /** Silence before the packet the RST answered (ns), when known. */
  triggerIdleNs: number | null;
  /** Evidence from outside this capture (two-sided analysis). */
  extra: readonly Evidence[];
  /** Write the evidence out (false: only the attribution and confidence, for RSTs that are only counted). */
  explain?: boolean;
}

export interface Attribution {
  attribution: ResetAttribution;
  confidence: number;
  evidence: Evidence[];
}

/** A signal's finding; its words are written only when asked for (most RSTs of a busy capture are only counted). */
interface Finding {
  signal: Evidence['signal'];
  pointsTo: ResetAttribution;
  strength: EvidenceStrength;
  detail: () => string;
  caveat?: () => string;
}

function ev(signal: Evidence['signal'], pointsTo: ResetAttribution, strength: EvidenceStrength, detail: () => string, caveat?: () => string): Finding {
  return { signal, pointsTo, strength, detail, caveat };
}

function explain(f: Finding): Evidence {
  const detail = f.detail();
  return f.caveat === undefined ? { signal: f.signal, pointsTo: f.pointsTo, strength: f.strength, detail } : { signal: f.signal, pointsTo: f.pointsTo, strength: f.strength, detail, caveat: f.caveat() };
}

/**
 * Who really sent this RST. Each signal is judged on its own and weighed;
 * "peer" and "local-stack" are relative to the capture point: the local stack
 * is the host the capture was taken on.
 */
export function attributeReset(inp: ResetInputs): Attribution {
  const { rst, facts } = inp;
  const sender = facts.dirs[rst.dir]!;
  const receiver = facts.dirs[rst.dir ^ 1]!;
  // A genuine RST from this side comes from the local stack when the capture runs on that host.
  const genuine: ResetAttribution = sender.isLocal ? 'local-stack' : 'peer';
  const evidence: Finding[] = [];
  for (const e of inp.extra) evidence.push(ev(e.signal, e.pointsTo, e.strength, () => e.detail, e.caveat === undefined ? undefined : () => e.caveat!));

  evidence.push(ttlSignal(rst, sender, genuine));
  const timing = timingSignal(rst, facts, receiver.isLocal, genuine);
  if (timing) evidence.push(timing);
  const idle = idleSignal(rst, inp.triggerIdleNs);
  if (idle) evidence.push(idle);
  const ipId = ipIdSignal(rst, genuine);
  if (ipId) evidence.push(ipId);
  const ts = timestampSignal(rst, facts, genuine);
  if (ts) evidence.push(ts);
  evidence.push(windowSignal(rst, genuine));
  const seq = seqSignal(rst, genuine);
  if (seq) evidence.push(seq);
  const multi = multipleRstSignal(rst, inp.siblings);
  if (multi) evidence.push(multi);
  if (sender.dataAfterRst > 0) {
    evidence.push(
      ev('data-after-rst', 'middlebox', 'strong', () => `the ${side(rst.dir)} kept sending data after the RST (${sender.dataAfterRst} segment${sender.dataAfterRst === 1 ? '' : 's'}): it never reset the connection itself`),
    );
  }
  const { attribution, confidence } = weigh(evidence);
  return { attribution, confidence, evidence: inp.explain === false ? [] : evidence.map(explain) };
}

function side(dir: number): 'client' | 'server' {
  return dir === 0 ? 'client' : 'server';
}

function ttlSignal(rst: ResetContext, sender: ConnectionFacts['dirs'][0], genuine: ResetAttribution): Finding {
  const name = rst.ipId < 0 ? 'hop limit' : 'TTL';
  const got = estimateHops(rst.ttl);
  if (sender.baselineTtl === null || sender.baselineHops === null) {
    return ev('ttl', 'unknown', 'weak', () => `RST ${name} ${rst.ttl} (${got.hops} hop${got.hops === 1 ? '' : 's'} from an initial ${got.initial})`, () => `no other packet from the ${side(rst.dir)} to compare with`);
  }
  const base = sender.baselineHops;
  const baseText = (): string => `the ${side(rst.dir)}'s packets arrive with ${name} ${sender.baselineTtl} (${base.hops} hop${base.hops === 1 ? '' : 's'})`;
  if (got.initial !== base.initial) {
    return ev('ttl', 'middlebox', 'strong', () => `RST ${name} ${rst.ttl} implies an initial ${name} of ${got.initial}, but ${baseText()} from ${base.initial}: a different machine sent it`);
  }
  if (got.hops < base.hops) {
    return ev('ttl', 'middlebox', 'strong', () => `RST ${name} ${rst.ttl} = ${got.hops} hop${got.hops === 1 ? '' : 's'} away, but ${baseText()}: it came from ${base.hops - got.hops} hop${base.hops - got.hops === 1 ? '' : 's'} closer than the ${side(rst.dir)}`);
  }
  if (got.hops > base.hops) {
    return ev('ttl', 'unknown', 'weak', () => `RST ${name} ${rst.ttl} is ${got.hops - base.hops} hop(s) farther than ${baseText()}`, () => 'a farther sender fits neither the peer nor a box in between; a route change is possible');
  }
  if (sender.isLocal) {
    // Captured on the sending host itself: only that host's stack can put an outgoing RST on this wire.
    return ev('ttl', 'local-stack', sender.ttlVaries ? 'strong' : 'decisive', () => `RST ${name} ${rst.ttl} left the capturing host like all of the ${side(rst.dir)}'s packets (0 hops): the local stack sent it`);
  }
  if (sender.ttlVaries) {
    return ev('ttl', genuine, 'weak', () => `RST ${name} ${rst.ttl} matches ${baseText()}`, () => `the ${side(rst.dir)}'s ${name} varies, so a match says less`);
  }
  return ev('ttl', genuine, 'strong', () => `RST ${name} ${rst.ttl} matches ${baseText()}`, () => 'a middlebox right next to the peer, or one that copies the TTL, would look the same');
}

function timingSignal(rst: ResetContext, facts: ConnectionFacts, receiverIsLocal: boolean, genuine: ResetAttribution): Finding | null {
  const prev = rst.previous;
  if (!prev || prev.dir === rst.dir) return null;
  const delay = rst.time - prev.time;
  const delayText = (): string => `the RST came ${durationText(delay / 1e9)} after the ${KIND_NAMES[prev.kind]} in frame ${prev.frame}`;
  if (facts.rttNs === null) return ev('timing', 'unknown', 'weak', delayText, () => 'no handshake in the capture, so no round-trip time to compare with');
  const rttNs = facts.rttNs;
  const rttText = (): string => `the handshake RTT is ${durationText(rttNs / 1e9)}`;
  if (!receiverIsLocal) {
    return ev('timing', 'unknown', 'weak', () => `${delayText()}; ${rttText()}`, () => 'the capture was not taken at the host that sent the trigger, so the delay does not measure the distance to the responder');
  }
  if (facts.rttNs < MIN_RTT_FOR_TIMING_NS) {
    return ev('timing', 'unknown', 'weak', () => `${delayText()}; ${rttText()}`, () => `an RTT under ${durationText(MIN_RTT_FOR_TIMING_NS / 1e9)} is too short to tell a nearby box from the peer`);
  }
  if (delay < facts.rttNs / 2) {
    return ev('timing', 'middlebox', 'strong', () => `${delayText()}, less than half the ${durationText(rttNs / 1e9)} handshake RTT: whatever answered is closer than the ${side(rst.dir)}`);
  }
  return ev('timing', genuine, 'medium', () => `${delayText()}; ${rttText()}: consistent with an answer from the ${side(rst.dir)}`, () => 'a box next to the peer answers as late as the peer');
}

function idleSignal(rst: ResetContext, triggerIdleNs: number | null): Finding | null {
  const prev = rst.previous;
  if (!prev || prev.dir === rst.dir || triggerIdleNs === null) return null;
  const kind = KIND_NAMES[prev.kind];
  if (triggerIdleNs >= SUSPICIOUS_IDLE_NS && (prev.kind === K_KEEPALIVE || prev.kind === K_DATA || prev.kind === K_RETRANSMISSION)) {
    return ev(
      'idle-age',
      'middlebox',
      'weak',
      () => `the RST answered the first ${kind} after ${durationText(triggerIdleNs / 1e9)} of silence: the pattern of a middlebox whose state for the idle flow expired`,
      () => 'an application that closes idle sessions answers the next packet with a RST too',
    );
  }
  return ev('idle-age', 'unknown', 'weak', () => `the connection had been idle for only ${durationText(triggerIdleNs / 1e9)} before the ${kind} the RST answered`, () => 'a busy connection is unlikely to be an expired flow, but that does not identify the sender');
}

function ipIdSignal(rst: ResetContext, genuine: ResetAttribution): Finding | null {
  if (rst.ipId < 0) return null; // IPv6 has no IP ID
  if (rst.senderLastIpId === null) {
    return ev('ip-id', 'unknown', 'weak', () => `RST IP ID ${rst.ipId}`, () => `the ${side(rst.dir)} sent no earlier packet with a counting IP ID to compare with`);
  }
  const step = (rst.ipId - rst.senderLastIpId + 0x10000) & 0xffff;
  if (step > 0 && step <= 64) {
    return ev('ip-id', genuine, 'medium', () => `RST IP ID ${rst.ipId} continues the ${side(rst.dir)}'s sequence (last ${rst.senderLastIpId})`);
  }
  if (rst.ipId === 0) {
    return ev('ip-id', 'unknown', 'weak', () => `RST IP ID 0, while the ${side(rst.dir)}'s packets count up (last ${rst.senderLastIpId}): not sent from the ${side(rst.dir)}'s socket`, () => 'Linux also sends IP ID 0 in a RST for a socket it no longer has, so this does not tell a firewall from the real host');
  }
  return ev('ip-id', 'middlebox', 'weak', () => `RST IP ID ${rst.ipId} does not follow the ${side(rst.dir)}'s sequence (last ${rst.senderLastIpId})`, () => 'some stacks randomise IP IDs per packet');
}

function timestampSignal(rst: ResetContext, facts: ConnectionFacts, genuine: ResetAttribution): Finding | null {
  if (!facts.timestampsNegotiated) return null;
  if (rst.hasTimestamps) {
    return ev('timestamps', genuine, 'medium', () => 'the RST carries the TCP timestamps the connection negotiated: it came from the endpoint\'s own socket');
  }
  return ev('timestamps', 'unknown', 'weak', () => 'the RST has no TCP timestamps although the connection negotiated them: not sent from a live socket', () => 'a real host answering for a socket it no longer has omits them too');
}

function windowSignal(rst: ResetContext, genuine: ResetAttribution): Finding {
  if (rst.window !== 0) {
    return ev('window', genuine, 'weak', () => `the RST advertises a window of ${rst.window}, as an aborting socket does`);
  }
  return ev('window', 'unknown', 'weak', () => 'the RST advertises window 0', () => 'both forged RSTs and a host\'s socketless RSTs use window 0');
}

function seqSignal(rst: ResetContext, genuine: ResetAttribution): Finding | null {
  if (rst.expectedSeq === null) return null;
  const off = (rst.seq - rst.expectedSeq) | 0;
  if (off === 0) {
    return ev('seq', 'unknown', 'weak', () => `the RST's sequence number is exactly the ${side(rst.dir)}'s next one`, () => 'a stateful box that tracks the flow knows it as well as the peer does');
  }
  if (Math.abs(off) <= 65535) {
    return ev('seq', genuine, 'weak', () => `the RST's sequence number is ${off} away from the ${side(rst.dir)}'s next one, inside the window`);
  }
  return ev('seq', 'middlebox', 'medium', () => `the RST's sequence number is ${off} away from the ${side(rst.dir)}'s next one: a blind or off-path guess`);
}

function multipleRstSignal(rst: ResetContext, siblings: ResetContext[]): Finding | null {
  // Most reset connections have one RST: nothing to compare, nothing to allocate.
  if (siblings.length < 2) return null;
  const sameDir = siblings.filter((o) => o.dir === rst.dir && Math.abs(o.time - rst.time) < 1e9);
  const seqs = new Set(sameDir.map((o) => o.seq));
  if (seqs.size < 2) return null;
  return ev('multiple-rsts', 'middlebox', 'strong', () => `${sameDir.length} RSTs within a second with ${seqs.size} different sequence numbers: the signature of a reset injector`);
}

/** The senders evidence can point to, in the order weigh() keeps their scores. */
const SENDERS: readonly ResetAttribution[] = ['peer', 'local-stack', 'middlebox'];

function weigh(evidence: Finding[]): Omit<Attribution, 'evidence'> {
  // Three running sums rather than a map and a sort: this runs for every RST of a capture.
  const score = [0, 0, 0];
  for (const e of evidence) {
    const k = SENDERS.indexOf(e.pointsTo);
    if (k >= 0) score[k]! += WEIGHT[e.strength];
  }
  let top = 0;
  for (let k = 1; k < score.length; k++) if (score[k]! > score[top]!) top = k;
  const best = score[top]!;
  const tied = score.some((v, k) => k !== top && v === best);
  // One weak hint is not an attribution.
  if (best < 2 || tied) return { attribution: 'unknown', confidence: 0 };
  const total = score[0]! + score[1]! + score[2]!;
  const attribution = SENDERS[top]!;
  const decisive = evidence.some((e) => e.strength === 'decisive' && e.pointsTo === attribution);
  // Share of the weight, discounted when little evidence exists at all.
  const confidence = decisive ? 0.99 : Math.min(0.95, (best / total) * Math.min(1, best / 4));
  return { attribution, confidence: Math.round(confidence * 100) / 100 };
}

import type { Evidence, EvidenceStrength, ResetAttribution } from '../model/analysis-report.js';
import { AWAITS_ANSWER_KINDS, IDLE_MARK_NS, KIND_NAMES } from '../track/packet-kind.js';
import type { ResetContext } from '../track/reset-context.js';
import { durationText } from '../util/time-text.js';
import type { ConnectionFacts } from './connection-facts.js';
import { estimateHops, ttlKnown } from './hop-count.js';

const WEIGHT: Record<EvidenceStrength, number> = { decisive: 100, strong: 3, medium: 2, weak: 1 };

/** Below this handshake RTT, "faster than the peer could answer" cannot be told from noise. */
const MIN_RTT_FOR_TIMING_NS = 1e6;

export interface ResetInputs {
  rst: ResetContext;
  facts: ConnectionFacts;
  /** All RSTs of the same connection, in order (this one included). */
  siblings: readonly ResetContext[];
  /** Silence before the packet the RST answered (ns), when known. */
  triggerIdleNs: number | null;
  /** Evidence from outside this capture (two-sided analysis). */
  extra: readonly Evidence[];
  /** Write the evidence out (false: only the attribution and confidence, for RSTs that are only counted). */
  explain?: boolean;
  /** The packets were stamped when they reached kad, not by the kernel (CaptureAnalysis.arrivalTimestamps). */
  arrivalTimestamps?: boolean;
}

export interface Attribution {
  attribution: ResetAttribution;
  confidence: number;
  evidence: Evidence[];
}

/** Senders evidence can point to, in the order Findings keeps their scores. */
const SENDERS: readonly ResetAttribution[] = ['peer', 'local-stack', 'middlebox'];

/**
 * A RST's findings as the signals report them: each is weighed at once, and
 * worded only when `words` (most RSTs of a busy capture are only counted, and
 * building their sentences, or closures for them, cost more than judging them).
 * Signals pass their words as `out.words && <template>`, so unworded findings build no string.
 */
class Findings {
  words = false;
  readonly evidence: Evidence[] = [];
  /** Summed WEIGHT per entry of SENDERS. */
  readonly score = [0, 0, 0];
  /** Bit k: a decisive finding points to SENDERS[k]. */
  decisive = 0;

  start(words: boolean): void {
    this.words = words;
    this.evidence.length = 0;
    this.score[0] = this.score[1] = this.score[2] = 0;
    this.decisive = 0;
  }

  add(
    signal: Evidence['signal'],
    pointsTo: ResetAttribution,
    strength: EvidenceStrength,
    detail: string | false,
    caveat?: string | false,
  ): void {
    const k = SENDERS.indexOf(pointsTo);
    if (k >= 0) {
      this.score[k]! += WEIGHT[strength];
      if (strength === 'decisive') this.decisive |= 1 << k;
    }
    if (detail === false) return;
    this.evidence.push(
      typeof caveat === 'string' ? { signal, pointsTo, strength, detail, caveat } : { signal, pointsTo, strength, detail },
    );
  }
}

// Reused by every call: attribution runs once per RST of a capture.
const findings = new Findings();

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
  const out = findings;
  out.start(inp.explain !== false);
  for (const e of inp.extra) out.add(e.signal, e.pointsTo, e.strength, out.words && e.detail, out.words && e.caveat);
  ttlSignal(out, rst, sender, genuine, receiver.isLocal);
  proxySignal(out, rst, sender, genuine);
  timingSignal(out, rst, facts, receiver.isLocal, genuine, inp.arrivalTimestamps === true);
  idleSignal(out, rst, inp.triggerIdleNs);
  ipIdSignal(out, rst, genuine);
  timestampSignal(out, rst, facts, genuine);
  windowSignal(out, rst, genuine);
  seqSignal(out, rst, genuine);
  // The capturing host's own stack answers each segment of a connection it dropped with a RST: several are no injector.
  if (!sender.isLocal) multipleRstSignal(out, rst, inp.siblings);
  if (sender.dataAfterRst > 0) {
    out.add(
      'data-after-rst',
      'middlebox',
      'strong',
      out.words &&
        `the ${side(rst.dir)} kept sending data after the RST (${sender.dataAfterRst} segment${sender.dataAfterRst === 1 ? '' : 's'}): it never reset the connection itself`,
    );
  }
  const weighed = weigh(out);
  // A genuine RST from the peer's stack for a socket it no longer has, and a middlebox's forgery that copies the
  // peer's TTL, look the same from this side: only decisive evidence (two-sided, kernel) may tell them apart.
  if (weighed.attribution === 'peer' && (out.decisive & (1 << SENDERS.indexOf('peer'))) === 0 && socketlessShape(rst, facts)) {
    out.add(
      'socketless',
      'unknown',
      'medium',
      out.words &&
        `the RST has every mark of a socketless RST (IP ID ${rst.ipId < 0 ? 'none (IPv6)' : '0'}, no TCP timestamps though negotiated, window 0): the ${side(rst.dir)}'s stack answering for a socket it no longer has, and a middlebox that copies the ${side(rst.dir)}'s TTL, look the same from here`,
      out.words &&
        `a capture on the ${side(rst.dir)} (analyze both captures together) or kad watch --kernel there decides it: its stack either sent this RST or did not`,
    );
    return { attribution: 'unknown', confidence: 0, evidence: out.words ? out.evidence.slice() : [] };
  }
  return { attribution: weighed.attribution, confidence: weighed.confidence, evidence: out.words ? out.evidence.slice() : [] };
}

/** What any RST made without a socket looks like, a host's or a middlebox's: no ID, no timestamps, no window. */
function socketlessShape(rst: ResetContext, facts: ConnectionFacts): boolean {
  return rst.ipId <= 0 && rst.window === 0 && !rst.hasTimestamps && facts.timestampsNegotiated;
}

function side(dir: number): 'client' | 'server' {
  return dir === 0 ? 'client' : 'server';
}

function ttlSignal(
  out: Findings,
  rst: ResetContext,
  sender: ConnectionFacts['dirs'][0],
  genuine: ResetAttribution,
  /** The other end is 0 hops away too. */
  bothLocal: boolean,
): void {
  const name = rst.ipId < 0 ? 'hop limit' : 'TTL';
  const w = out.words;
  if (!ttlKnown(rst.ttl)) {
    out.add(
      'ttl',
      'unknown',
      'weak',
      w && `RST ${name} 0`,
      w && 'no packet arrives with 0: the field was zeroed (an anonymised trace?) and says nothing',
    );
    return;
  }
  const got = estimateHops(rst.ttl);
  if (sender.baselineTtl === null || sender.baselineHops === null) {
    out.add(
      'ttl',
      'unknown',
      'weak',
      w && `RST ${name} ${rst.ttl} (${got.hops} hop${got.hops === 1 ? '' : 's'} from an initial ${got.initial})`,
      w &&
        (sender.packets > sender.rsts
          ? `the ${side(rst.dir)}'s other packets carry ${name} 0, a zeroed field: nothing to compare with`
          : `no other packet from the ${side(rst.dir)} to compare with`),
    );
    return;
  }
  const base = sender.baselineHops;
  if (got.initial !== base.initial) {
    out.add(
      'ttl',
      'middlebox',
      'strong',
      w &&
        `RST ${name} ${rst.ttl} implies an initial ${name} of ${got.initial}, but ${baselineText(rst, sender, name)} from ${base.initial}: a different machine sent it`,
    );
  } else if (got.hops < base.hops) {
    out.add(
      'ttl',
      'middlebox',
      'strong',
      w &&
        `RST ${name} ${rst.ttl} = ${got.hops} hop${got.hops === 1 ? '' : 's'} away, but ${baselineText(rst, sender, name)}: it came from ${base.hops - got.hops} hop${base.hops - got.hops === 1 ? '' : 's'} closer than the ${side(rst.dir)}`,
    );
  } else if (got.hops > base.hops && sender.isLocal) {
    // Every packet this host sends leaves at 0 hops: one that claims to be from it and arrives from farther came
    // in from the network (an injector), whatever else it copies. Decisive only where the capture point is established.
    // (ttlVaries is no doubt here: the injected RST's own TTL is what makes the direction's TTL vary.)
    out.add(
      'ttl',
      'middlebox',
      bothLocal ? 'strong' : 'decisive',
      w &&
        `RST ${name} ${rst.ttl} arrived from ${got.hops} hop${got.hops === 1 ? '' : 's'} away, but the ${side(rst.dir)} is the capturing host: its packets leave with ${name} ${sender.baselineTtl} (0 hops), so it did not send this one`,
      w &&
        bothLocal &&
        `both ends are 0 hops from the capture (a switch's mirror port, or one host holding both ends): the capture point is not established`,
    );
  } else if (got.hops > base.hops) {
    out.add(
      'ttl',
      'unknown',
      'weak',
      w && `RST ${name} ${rst.ttl} is ${got.hops - base.hops} hop(s) farther than ${baselineText(rst, sender, name)}`,
      w && 'a farther sender fits neither the peer nor a box in between; a route change is possible',
    );
  } else if (sender.isLocal) {
    // Captured on the sending host itself: only that host's stack can put an outgoing RST on this wire.
    // Both ends at 0 hops is another place: a mirror port, or one host holding both ends; the capture point is not established.
    out.add(
      'ttl',
      'local-stack',
      sender.ttlVaries || bothLocal ? 'strong' : 'decisive',
      w && `RST ${name} ${rst.ttl} left the capturing host like all of the ${side(rst.dir)}'s packets (0 hops): the local stack sent it`,
      w &&
        bothLocal &&
        `both ends are 0 hops from the capture (a switch's mirror port, or one host holding both ends): a box that sends with the same initial ${name} from the same segment looks the same`,
    );
  } else if (sender.ttlVaries) {
    out.add(
      'ttl',
      genuine,
      'weak',
      w && `RST ${name} ${rst.ttl} matches ${baselineText(rst, sender, name)}`,
      w && `the ${side(rst.dir)}'s ${name} varies, so a match says less`,
    );
  } else {
    out.add(
      'ttl',
      genuine,
      'strong',
      w && `RST ${name} ${rst.ttl} matches ${baselineText(rst, sender, name)}`,
      w && 'a middlebox right next to the peer, or one that copies the TTL, would look the same',
    );
  }
}

/**
 * A SYN proxy or L4 front end (nftables synproxy, a load balancer) answers the
 * handshake itself and lets the real host's data through, so the handshake
 * arrives with one TTL and the data with another. A RST with the handshake's
 * TTL came from the box that answered the handshake, not from the host the
 * data comes from.
 */
function proxySignal(out: Findings, rst: ResetContext, sender: ConnectionFacts['dirs'][0], genuine: ResetAttribution): void {
  const hs = sender.handshakeTtl;
  if (hs === null || !ttlKnown(rst.ttl)) return;
  const name = rst.ipId < 0 ? 'hop limit' : 'TTL';
  const w = out.words;
  const split =
    w &&
    `the ${side(rst.dir)}'s ${rst.dir === 0 ? 'SYN' : 'SYN-ACK'} arrived with ${name} ${hs}, its data with ${sender.baselineTtl}: a SYN proxy or L4 front end answered the handshake`;
  if (rst.ttl === hs) {
    out.add(
      'proxy',
      'middlebox',
      'strong',
      w && `${split}, and the RST's ${name} ${rst.ttl} is the handshake's: the proxy sent it, not the host the data came from`,
      w && 'a route change between the handshake and the data looks the same; the hop counts of both are in the ttl signal',
    );
  } else if (rst.ttl === sender.baselineTtl) {
    out.add(
      'proxy',
      genuine,
      'weak',
      w && `${split}; the RST's ${name} ${rst.ttl} is the data's: it came from where the data comes from`,
      w && 'a box on the data path as far away as the host looks the same',
    );
  } else {
    out.add(
      'proxy',
      'unknown',
      'weak',
      w && `${split}; the RST's ${name} ${rst.ttl} is neither the handshake's nor the data's`,
      w && 'a third sender, or a route change',
    );
  }
}

function baselineText(rst: ResetContext, sender: ConnectionFacts['dirs'][0], name: string): string {
  const hops = sender.baselineHops!.hops;
  return `the ${side(rst.dir)}'s packets arrive with ${name} ${sender.baselineTtl} (${hops} hop${hops === 1 ? '' : 's'})`;
}

/** Why delays between arrival stamps measure little (a live capture through cap). */
const ARRIVAL_CAVEAT =
  'the packets were stamped when they reached kad, not by the kernel: a burst drained at once gets one time; --capture-with kad-capture (or tcpdump) gives kernel timestamps';

function timingSignal(
  out: Findings,
  rst: ResetContext,
  facts: ConnectionFacts,
  receiverIsLocal: boolean,
  genuine: ResetAttribution,
  arrivalStamps: boolean,
): void {
  const prev = rst.previous;
  if (!prev || prev.dir === rst.dir) return;
  const delay = rst.time - prev.time;
  const w = out.words;
  const delayText = w && `the RST came ${durationText(delay / 1e9)} after the ${KIND_NAMES[prev.kind]} in frame ${prev.frame}`;
  if (facts.rttNs === null) {
    out.add('timing', 'unknown', 'weak', delayText, w && 'no handshake in the capture, so no round-trip time to compare with');
    return;
  }
  const rttNs = facts.rttNs;
  const rttText = w && `the handshake RTT is ${durationText(rttNs / 1e9)}`;
  if (!receiverIsLocal) {
    out.add(
      'timing',
      'unknown',
      'weak',
      w && `${delayText}; ${rttText}`,
      w && 'the capture was not taken at the host that sent the trigger, so the delay does not measure the distance to the responder',
    );
  } else if (rttNs < MIN_RTT_FOR_TIMING_NS) {
    out.add(
      'timing',
      'unknown',
      'weak',
      w && `${delayText}; ${rttText}`,
      w && `an RTT under ${durationText(MIN_RTT_FOR_TIMING_NS / 1e9)} is too short to tell a nearby box from the peer`,
    );
  } else if (delay < rttNs / 2) {
    out.add(
      'timing',
      'middlebox',
      arrivalStamps ? 'weak' : 'strong',
      w &&
        `${delayText}, less than half the ${durationText(rttNs / 1e9)} handshake RTT: whatever answered is closer than the ${side(rst.dir)}`,
      w && arrivalStamps ? ARRIVAL_CAVEAT : undefined,
    );
  } else {
    out.add(
      'timing',
      genuine,
      arrivalStamps ? 'weak' : 'medium',
      w && `${delayText}; ${rttText}: consistent with an answer from the ${side(rst.dir)}`,
      w && (arrivalStamps ? ARRIVAL_CAVEAT : 'a box next to the peer answers as late as the peer'),
    );
  }
}

function idleSignal(out: Findings, rst: ResetContext, triggerIdleNs: number | null): void {
  const prev = rst.previous;
  if (!prev || prev.dir === rst.dir || triggerIdleNs === null) return;
  const kind = KIND_NAMES[prev.kind];
  const w = out.words;
  // The first packet after an idle period is the classic victim of an expired middlebox entry.
  if (triggerIdleNs >= IDLE_MARK_NS && ((1 << prev.kind) & AWAITS_ANSWER_KINDS) !== 0) {
    out.add(
      'idle-age',
      'middlebox',
      'weak',
      w &&
        `the RST answered the first ${kind} after ${durationText(triggerIdleNs / 1e9)} of silence: the pattern of a middlebox whose state for the idle flow expired`,
      w && 'an application that closes idle sessions answers the next packet with a RST too',
    );
  } else {
    out.add(
      'idle-age',
      'unknown',
      'weak',
      w && `the connection had been idle for only ${durationText(triggerIdleNs / 1e9)} before the ${kind} the RST answered`,
      w && 'a busy connection is unlikely to be an expired flow, but that does not identify the sender',
    );
  }
}

function ipIdSignal(out: Findings, rst: ResetContext, genuine: ResetAttribution): void {
  if (rst.ipId < 0) return; // IPv6 has no IP ID
  const w = out.words;
  if (rst.senderLastIpId === null) {
    out.add(
      'ip-id',
      'unknown',
      'weak',
      w && `RST IP ID ${rst.ipId}`,
      w && `the ${side(rst.dir)} sent no earlier packet with a counting IP ID to compare with`,
    );
    return;
  }
  const step = (rst.ipId - rst.senderLastIpId + 0x10000) & 0xffff;
  if (step > 0 && step <= 64) {
    out.add(
      'ip-id',
      genuine,
      'medium',
      w && `RST IP ID ${rst.ipId} continues the ${side(rst.dir)}'s sequence (last ${rst.senderLastIpId})`,
    );
  } else if (rst.ipId === 0) {
    out.add(
      'ip-id',
      'unknown',
      'weak',
      w &&
        `RST IP ID 0, while the ${side(rst.dir)}'s packets count up (last ${rst.senderLastIpId}): not sent from the ${side(rst.dir)}'s socket`,
      w && 'Linux also sends IP ID 0 in a RST for a socket it no longer has, so this does not tell a firewall from the real host',
    );
  } else {
    out.add(
      'ip-id',
      'middlebox',
      'weak',
      w && `RST IP ID ${rst.ipId} does not follow the ${side(rst.dir)}'s sequence (last ${rst.senderLastIpId})`,
      w && 'some stacks randomise IP IDs per packet',
    );
  }
}

function timestampSignal(out: Findings, rst: ResetContext, facts: ConnectionFacts, genuine: ResetAttribution): void {
  if (!facts.timestampsNegotiated) return;
  const w = out.words;
  if (rst.hasTimestamps) {
    out.add(
      'timestamps',
      genuine,
      'medium',
      w && "the RST carries the TCP timestamps the connection negotiated: it came from the endpoint's own socket",
    );
  } else {
    out.add(
      'timestamps',
      'unknown',
      'weak',
      w && 'the RST has no TCP timestamps although the connection negotiated them: not sent from a live socket',
      w && 'a real host answering for a socket it no longer has omits them too',
    );
  }
}

function windowSignal(out: Findings, rst: ResetContext, genuine: ResetAttribution): void {
  const w = out.words;
  if (rst.window !== 0) {
    out.add('window', genuine, 'weak', w && `the RST advertises a window of ${rst.window}, as an aborting socket does`);
  } else {
    out.add(
      'window',
      'unknown',
      'weak',
      w && 'the RST advertises window 0',
      w && "both forged RSTs and a host's socketless RSTs use window 0",
    );
  }
}

function seqSignal(out: Findings, rst: ResetContext, genuine: ResetAttribution): void {
  if (rst.expectedSeq === null) return;
  const off = (rst.seq - rst.expectedSeq) | 0;
  const w = out.words;
  if (off === 0) {
    out.add(
      'seq',
      'unknown',
      'weak',
      w && `the RST's sequence number is exactly the ${side(rst.dir)}'s next one`,
      w && 'a stateful box that tracks the flow knows it as well as the peer does',
    );
  } else if (Math.abs(off) <= 65535) {
    out.add(
      'seq',
      genuine,
      'weak',
      w && `the RST's sequence number is ${off} away from the ${side(rst.dir)}'s next one, inside the window`,
    );
  } else {
    out.add(
      'seq',
      'middlebox',
      'medium',
      w && `the RST's sequence number is ${off} away from the ${side(rst.dir)}'s next one: a blind or off-path guess`,
    );
  }
}

function multipleRstSignal(out: Findings, rst: ResetContext, siblings: readonly ResetContext[]): void {
  // Most reset connections have one RST: nothing to compare, nothing to allocate.
  if (siblings.length < 2) return;
  const sameDir = siblings.filter((o) => o.dir === rst.dir && Math.abs(o.time - rst.time) < 1e9);
  const seqs = new Set(sameDir.map((o) => o.seq));
  if (seqs.size < 2) return;
  out.add(
    'multiple-rsts',
    'middlebox',
    'strong',
    out.words && `${sameDir.length} RSTs within a second with ${seqs.size} different sequence numbers: the signature of a reset injector`,
  );
}

function weigh(out: Findings): Omit<Attribution, 'evidence'> {
  const score = out.score;
  let top = 0;
  for (let k = 1; k < score.length; k++) if (score[k]! > score[top]!) top = k;
  const best = score[top]!;
  let tied = false;
  for (let k = 0; k < score.length; k++) if (k !== top && score[k] === best) tied = true;
  // One weak hint is not an attribution.
  if (best < 2 || tied) return { attribution: 'unknown', confidence: 0 };
  const total = score[0]! + score[1]! + score[2]!;
  const decisive = (out.decisive & (1 << top)) !== 0;
  // Share of the weight, discounted when little evidence exists at all.
  const confidence = decisive ? 0.99 : Math.min(0.95, (best / total) * Math.min(1, best / 4));
  return { attribution: SENDERS[top]!, confidence: Math.round(confidence * 100) / 100 };
}

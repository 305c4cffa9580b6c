import type { CaptureAnalysis } from '../analyze/analyze-capture.js';
import type {
  ConnectionDiagnosis,
  Evidence,
  IdleTimeoutInference,
  ResetVerdict,
  SetupVerdict,
  SilentDropVerdict,
} from '../model/analysis-report.js';
import { relTimeText } from '../track/time-base.js';
import { KIND_NAMES } from '../track/packet-kind.js';
import type { ResetContext } from '../track/reset-context.js';
import type { UnansweredTails } from '../track/tcp-tracker.js';
import { endpointText } from '../util/ip-text.js';
import { durationText } from '../util/time-text.js';
import { blankFacts, connectionFacts } from './connection-facts.js';
import { bracketPaths, tallyPaths, type PathTallies, type TallySums } from './idle-timeout.js';
import { attributeReset } from './reset-attribution.js';
import { judgeSetup, maySetupFail, setupFacts } from './setup-verdict.js';
import { findSilentDrop } from './silent-drop.js';

/** Evidence about this capture's RSTs and silences that only another capture can give. */
export interface CrossEvidence {
  /** Keyed by RST frame. */
  resets: Map<number, Evidence[]>;
  /** Keyed by connection id (1-based): a settled silent-drop kind with its reason. */
  silentDrops: Map<number, { kind: SilentDropVerdict['kind']; evidence: string }>;
  /** Keyed by connection id: words that confirm a silent drop without settling its kind (the kernel's ETIMEDOUT). */
  silentDropNotes?: Map<number, string>;
}

export interface CaptureDiagnosis {
  /**
   * With `explain: false`, verdicts are decided and counted but carry no
   * words (empty verdict, evidence and timestamps): `explainConnection`
   * writes them out for the few connections a report lists.
   */
  diagnoses: ConnectionDiagnosis[];
  idleTimeouts: IdleTimeoutInference[];
  /**
   * The idle periods by path before they are bracketed; with `only`, of the
   * connections whose byte there is 1 (what eviction adds up across passes).
   */
  pathTallies: (only?: Uint8Array) => PathTallies;
  /** The fully worded diagnosis of connection `conn` (1-based), or null if it has none. */
  explainConnection: (conn: number) => ConnectionDiagnosis | null;
  /** The idle periods of each connection (by index), and the path each belongs to: what merging captures adds up. */
  connectionTallies: TallySums;
  pathOf: (c: number) => string;
}

export interface DiagnoseOptions {
  /** Word every verdict (default). A terminal report of 100 k connections only needs the listed ones worded. */
  explain?: boolean;
  /**
   * Packets the capture source lost so far, when it knows or can bound it
   * (a live source's drop count or link-counter bound): a silence is then no
   * proof that nothing answered. A capture file's own drop statistics count
   * without this.
   */
  sourceLoss?: { packets: number; exact: boolean } | null;
}

const side = (dir: number) => (dir === 0 ? 'client' : 'server');

/** The extra evidence of a RST that has none (most: one capture only). */
const NO_EVIDENCE: readonly Evidence[] = [];
/** The RSTs of a connection that has none. */
const NO_RESETS: readonly ResetContext[] = [];

export function serverPath(analysis: CaptureAnalysis, c: number): string {
  const s = analysis.tracker.store;
  return endpointText({ addr: s.address(c, 1), port: s.port(c, 1) });
}

/**
 * serverPath of every connection, formatted once per server: a busy capture
 * has 100 k connections to a handful of servers (numbered by the tracker).
 */
class ServerPaths {
  private readonly texts: string[];
  private readonly ofConn: Int32Array;

  constructor(analysis: CaptureAnalysis) {
    const { ofConn, firstConn } = analysis.tracker.serverIndexes();
    this.ofConn = ofConn;
    this.texts = Array.from(firstConn, (c) => serverPath(analysis, c));
  }

  of(c: number): string {
    return this.texts[this.ofConn[c]!]!;
  }

  /** The server (an index) connection c went to. */
  serverOf(c: number): number {
    return this.ofConn[c]!;
  }

  get servers(): number {
    return this.texts.length;
  }
}

/** Who sent each RST, which connections fell silent, and what idle timeout explains it. */
export function diagnoseCapture(analysis: CaptureAnalysis, cross?: CrossEvidence, opts: DiagnoseOptions = {}): CaptureDiagnosis {
  const explain = opts.explain ?? true;
  const reported = analysis.summary?.dropsReported ?? 0;
  const loss = opts.sourceLoss ?? (reported > 0 ? { packets: reported, exact: true } : null);
  const d = new ConnectionDiagnoser(analysis, cross, loss !== null && loss.packets > 0 ? loss : null);
  const diagnoses: ConnectionDiagnosis[] = [];
  const middleboxResets = new Set<number>();
  const drops = new Map<number, SilentDropVerdict>();
  for (let c = 0; c < d.connections; c++) {
    const diagnosis = d.diagnose(c, explain);
    if (!diagnosis) continue;
    diagnoses.push(diagnosis);
    for (let i = 0; i < diagnosis.resets.length; i++)
      if (diagnosis.resets[i]!.attribution === 'middlebox') middleboxResets.add(diagnosis.resets[i]!.frame);
    if (diagnosis.silentDrop) drops.set(c, diagnosis.silentDrop);
  }
  const sums = idleSums(analysis, middleboxResets, drops);
  const pathOf = (c: number): string => d.paths.of(c);
  return {
    diagnoses,
    idleTimeouts: bracketPaths(tallyPaths(sums, pathOf)),
    pathTallies: (only) => tallyPaths(sums, pathOf, new Map(), only),
    connectionTallies: sums,
    pathOf,
    explainConnection: (conn) => {
      const c = analysis.tracker.store.indexOfId(conn);
      return c < 0 ? null : d.diagnose(c, true);
    },
  };
}

/** What diagnosing any one connection needs, prepared once per capture. */
class ConnectionDiagnoser {
  readonly connections: number;
  readonly paths: ServerPaths;
  private readonly unanswered: UnansweredTails;
  /** The RSTs of connection c are byConn[firstReset[c] .. firstReset[c + 1]). */
  private readonly firstReset: Int32Array;
  private readonly byConn: ResetContext[];
  /** Refilled for each reset connection: attribution reads the facts and keeps none of them. */
  private readonly facts = blankFacts();

  constructor(
    private readonly analysis: CaptureAnalysis,
    private readonly cross?: CrossEvidence,
    private readonly loss: { packets: number; exact: boolean } | null = null,
  ) {
    const tracker = analysis.tracker;
    const n = tracker.connectionCount;
    this.connections = n;
    this.unanswered = tracker.unansweredTails();
    this.paths = new ServerPaths(analysis);
    // A RST after both FINs is a late answer to a closed connection, not what ended it: the end says
    // 'closed normally', and a reset verdict beside it would headline a story the connection did not have.
    // One before them (injected during set-up, say) is part of the story.
    const store = tracker.store;
    const resets = tracker.resets.filter((r) => store.endKind(r.conn) !== 'fin' || r.frame < store.endFrame(r.conn));
    this.firstReset = new Int32Array(n + 1);
    for (let i = 0; i < resets.length; i++) this.firstReset[resets[i]!.conn + 1]!++;
    for (let c = 0; c < n; c++) this.firstReset[c + 1]! += this.firstReset[c]!;
    this.byConn = new Array<ResetContext>(resets.length);
    const fill = this.firstReset.slice(0, n);
    for (let i = 0; i < resets.length; i++) this.byConn[fill[resets[i]!.conn]!++] = resets[i]!;
  }

  /** Only connections with a RST, whose last logged packet went unanswered, or whose set-up may have failed need a closer look. */
  isCandidate(c: number): boolean {
    return (
      this.firstReset[c + 1]! > this.firstReset[c]! || this.unanswered.lastUnanswered(c) || maySetupFail(this.analysis.tracker, c, false)
    );
  }

  /** Connections per server that it sent a SYN-ACK, counted on first need (most captures have no failed set-up). */
  private answered: Uint32Array | null = null;

  /** Other connections to c's server that it answered with a SYN-ACK: it was up and listening. */
  private answeredOn(c: number): number {
    if (this.answered === null) {
      const store = this.analysis.tracker.store;
      this.answered = new Uint32Array(this.paths.servers);
      for (let i = 0; i < this.connections; i++) if (store.synSeen(i, 1)) this.answered[this.paths.serverOf(i)]!++;
    }
    const self = this.analysis.tracker.store.synSeen(c, 1) ? 1 : 0;
    return this.answered[this.paths.serverOf(c)]! - self;
  }

  /** Why this capture cannot prove the silence (the answer may be among packets it lost), or null. */
  private lossDoubt(c: number): string | null {
    const holes = this.analysis.tracker.store.captureGaps(c);
    if (holes > 0)
      return `the capture missed ${holes === 1 ? 'a segment' : `${holes} segments`} of this connection (sequence holes): an answer may be among what it missed`;
    const loss = this.loss;
    if (loss === null) return null;
    const n = loss.exact ? `${loss.packets} packets` : `up to ${loss.packets} packets`;
    return `the capture source lost ${n} so far: an answer may be among them`;
  }

  diagnose(c: number, explain: boolean): ConnectionDiagnosis | null {
    if (!this.isCandidate(c)) return null;
    const tracker = this.analysis.tracker;
    const hasReset = this.firstReset[c + 1]! > this.firstReset[c]!;
    let silentDrop = findSilentDrop(tracker, this.unanswered, c, explain);
    const setupMayFail = maySetupFail(tracker, c, hasReset);
    // Most candidates of a busy capture (a FIN left unanswered at its end) have no verdict: nothing is built for them.
    if (!hasReset && !silentDrop && !setupMayFail) return null;

    const siblings = hasReset ? this.byConn.slice(this.firstReset[c]!, this.firstReset[c + 1]!) : NO_RESETS;
    const facts = hasReset ? connectionFacts(tracker, c, this.facts) : null;
    const resets: ResetVerdict[] = [];
    for (let i = 0; i < siblings.length; i++) {
      const rst = siblings[i]!;
      const triggerIdleNs = rst.previous ? rst.previous.idleNs : null;
      const a = attributeReset({
        rst,
        facts: facts!,
        siblings,
        triggerIdleNs,
        extra: this.cross?.resets.get(rst.frame) ?? NO_EVIDENCE,
        explain,
        arrivalTimestamps: this.analysis.arrivalTimestamps,
      });
      resets.push({
        conn: tracker.store.id(c),
        frame: rst.frame,
        ts: explain ? relTimeText(tracker, rst.time) : '',
        dir: rst.dir === 0 ? 'c2s' : 's2c',
        claimedSender: side(rst.dir),
        attribution: a.attribution,
        confidence: a.confidence,
        trigger:
          rst.previous && rst.previous.dir !== rst.dir
            ? {
                frame: rst.previous.frame,
                kind: KIND_NAMES[rst.previous.kind]!,
                delayS: (rst.time - rst.previous.time) / 1e9,
                idleBeforeS: (triggerIdleNs ?? 0) / 1e9,
              }
            : null,
        evidence: a.evidence,
      });
    }

    const id = tracker.store.id(c);
    const settled = this.cross?.silentDrops.get(id);
    if (silentDrop && settled)
      silentDrop = { ...silentDrop, kind: settled.kind, evidence: explain ? [...silentDrop.evidence, settled.evidence] : [] };
    const note = this.cross?.silentDropNotes?.get(id);
    if (silentDrop && note !== undefined && explain) silentDrop = { ...silentDrop, evidence: [...silentDrop.evidence, note] };
    const doubt = silentDrop ? this.lossDoubt(c) : null;
    if (silentDrop && doubt) silentDrop = { ...silentDrop, doubt, evidence: explain ? [...silentDrop.evidence, `caveat: ${doubt}`] : [] };
    const path = this.paths.of(c);
    const setup = setupMayFail
      ? judgeSetup(
          { ...setupFacts(tracker, c, path, siblings, this.unanswered.captureEndNs), serverAnswered: this.answeredOn(c) },
          id,
          explain,
        )
      : null;
    if (resets.length === 0 && !silentDrop && !setup) return null;
    const verdict = explain ? (setup ? setupSentence(setup) : connectionVerdict(resets, silentDrop)) : '';
    return { conn: id, path, verdict, setup, resets, silentDrop };
  }
}

/**
 * Every idle period and whether the connection came through it, or died of a
 * middlebox's RST or of a silent drop (the tracker's pass over the event
 * log), summed per connection; copies, which outlive the tracker's next packet.
 */
function idleSums(analysis: CaptureAnalysis, middleboxResets: Set<number>, drops: Map<number, SilentDropVerdict>): TallySums {
  const marks = Uint32Array.from(middleboxResets).sort();
  // A dead peer is no middlebox's timeout: its silence says nothing about the path.
  const dropTriples: number[] = [];
  const store = analysis.tracker.store;
  for (const [c, drop] of drops) if (drop.kind !== 'dead-peer') dropTriples.push(c, drop.firstFrame, store.firstFrame(c));
  const sums = analysis.tracker.idlePeriods(marks, Uint32Array.from(dropTriples));
  return {
    survivedCount: sums.survivedCount.slice(),
    survivedMaxNs: sums.survivedMaxNs.slice(),
    diedCount: sums.diedCount.slice(),
    diedMinNs: sums.diedMinNs.slice(),
    first: sums.first.slice(),
  };
}

/** A failed set-up is what the operator fixes; its RSTs and silences are how it showed, and are listed below it. */
function setupSentence(v: SetupVerdict): string {
  const conf = ` (confidence ${v.confidence.toFixed(2)})`;
  return `${v.summary.charAt(0).toUpperCase()}${v.summary.slice(1)}${conf}.`;
}

function connectionVerdict(resets: ResetVerdict[], drop: SilentDropVerdict | null): string {
  const parts: string[] = [];
  const first = resets[0];
  if (first) {
    const trig = first.trigger
      ? ` It answered the ${first.claimedSender === 'client' ? 'server' : 'client'}'s ${first.trigger.kind.replace('_', ' ')} (frame ${first.trigger.frame})${
          first.trigger.idleBeforeS >= 1 ? ` after ${durationText(first.trigger.idleBeforeS)} idle` : ''
        }.`
      : '';
    const conf = first.confidence > 0 ? ` (confidence ${first.confidence.toFixed(2)})` : '';
    switch (first.attribution) {
      case 'middlebox':
        parts.push(
          `Reset by a middlebox${conf}: the RST claims to come from the ${first.claimedSender}, but the ${first.claimedSender} did not send it.${trig}`,
        );
        break;
      case 'peer':
        parts.push(`The ${first.claimedSender} really reset the connection${conf}.${trig}`);
        break;
      case 'local-stack':
        parts.push(`The capturing host's own stack (the ${first.claimedSender}) reset the connection${conf}.${trig}`);
        break;
      default:
        parts.push(`Reset with a RST from the ${first.claimedSender}'s direction; the evidence does not say who sent it.${trig}`);
    }
  }
  if (drop) {
    const what =
      [
        drop.keepalives ? `${drop.keepalives} keepalive probe${drop.keepalives === 1 ? '' : 's'}` : '',
        drop.retransmissions ? `${drop.retransmissions} retransmission${drop.retransmissions === 1 ? '' : 's'}` : '',
      ]
        .filter(Boolean)
        .join(' and ') || 'its packets';
    const where =
      drop.kind === 'black-hole'
        ? 'the path dropped them (black hole)'
        : drop.kind === 'dead-peer'
          ? `they reached the ${drop.sender === 'client' ? 'server' : 'client'}, which never answered (dead peer)`
          : 'a black-holed path or a dead peer (a capture at the other end would tell which)';
    const end =
      drop.end === 'gave-up' ? `; the ${drop.sender} gave up` : drop.end === 'local-rst' ? `; the ${drop.sender} then reset it itself` : '';
    // An absence from an incomplete capture is a suspicion, and the verdict's first word says so.
    const label = drop.doubt ? 'Possible silent drop (the capture may have missed the answer)' : 'Silent drop';
    parts.push(`${label}: the ${drop.sender}'s ${what} after ${durationText(drop.idleBeforeS)} idle got no answer — ${where}${end}.`);
  }
  return parts.join(' ');
}

/**
 * The domain model that `kad analyze` produces and every renderer consumes
 * (text, --json, HTML, TUI). This is also the documented JSON document of
 * `kad analyze --json`: renderers must not reach back into capture code.
 */

export type PacketKind =
  | 'syn'
  | 'synack'
  | 'data'
  | 'ack'
  | 'keepalive'
  | 'keepalive_ack'
  | 'zero_window_probe'
  | 'retransmission'
  | 'fin'
  | 'rst'
  /** A second copy of the packet before it (captured twice, sent once): counted, and otherwise ignored. */
  | 'duplicate';

/** c2s: from the connection's client (SYN sender) to its server. */
export type Direction = 'c2s' | 's2c';

export interface Endpoint {
  addr: string;
  port: number;
}

/** How a connection ended, as far as the capture shows: every kind, the type's one definition. */
export const CONNECTION_END_KINDS = [
  'fin', // both sides sent FIN
  'half-closed', // one side sent FIN, the other never did
  'reset', // a RST ended an established connection
  'rejected', // the SYN was answered by a RST
  'no-answer', // SYN never answered
  'open', // still open when the capture ended
] as const;
export type ConnectionEndKind = (typeof CONNECTION_END_KINDS)[number];

export interface ConnectionEnd {
  kind: ConnectionEndKind;
  /** Side that sent the FIN/RST that ended it (first one for 'fin'). */
  by: 'client' | 'server' | null;
  /** Frame of the ending FIN/RST, or null. */
  frame: number | null;
  /** Epoch seconds with 9 decimals, as a string (full ns precision). */
  ts: string | null;
}

export interface DirectionStats {
  packets: number;
  /** IP bytes (total length of the IP datagrams). */
  bytes: number;
  /** TCP payload bytes, retransmissions included. */
  payloadBytes: number;
  keepalives: number;
  keepaliveAcks: number;
  retransmissions: number;
  zeroWindowProbes: number;
  fins: number;
  rsts: number;
  /** TTL / hop limit: first (of the packets other than RSTs, when there are any), min and max seen in this direction. */
  ttl: { first: number; min: number; max: number } | null;
  /** TCP options from this side's SYN / SYN-ACK, null when not seen. */
  synOptions: { mss: number | null; wscale: number | null; sackPerm: boolean; timestamps: boolean } | null;
}

export interface ConnectionReport {
  /** 1-based connection number within its file (tcp.stream + 1 order). */
  id: number;
  client: Endpoint;
  server: Endpoint;
  ipVersion: 4 | 6;
  /** True when no SYN was seen: roles were guessed from the ports. */
  midStream: boolean;
  firstFrame: number;
  lastFrame: number;
  /** Epoch seconds with 9 decimals, as strings (full ns precision). */
  start: string;
  end: string;
  durationS: number;
  /**
   * The final, successful SYN / SYN-ACK / ACK exchange, seconds: the last SYN
   * to the first SYN-ACK after it, plus the last SYN-ACK to the ACK that
   * answered it. Never across a retry's wait or a RST; null without such an exchange.
   */
  handshakeRttS: number | null;
  setup: ConnectionSetup;
  /** Longest gap between two consecutive packets of the connection, seconds. */
  longestIdleS: number;
  /** Frame that ended the longest gap (the first packet after the silence). */
  longestIdleEndFrame: number | null;
  /** Keepalive probes seen (both directions) and how many got a keepalive ACK. */
  keepalives: { sent: number; answered: number };
  /** Frames where a capture gap (previous segment not captured) was seen (at most 65535). */
  captureGaps: number;
  /**
   * Frames that were a second copy of the packet before them (a capture on
   * `any`, a mirror port fed by both ends), at most 65535: not counted
   * anywhere else (packets, bytes, retransmissions, RSTs).
   */
  duplicates: number;
  c2s: DirectionStats;
  s2c: DirectionStats;
  ended: ConnectionEnd;
}

/** How a connection's set-up went, from packets. */
export interface ConnectionSetup {
  /** SYNs sent again for the same initial sequence number (the client's retries). */
  synRetransmissions: number;
  /** SYN-ACKs sent again for the same initial sequence number. */
  synAckRetransmissions: number;
  /** First SYN → the ACK that completed the handshake (s); null if it never completed in the capture. */
  setupS: number | null;
}

/** A path's set-up trouble, summed over its connections (only paths that had some). */
export interface PathSetup {
  /** The server endpoint ("addr:port"). */
  path: string;
  synRetransmissions: number;
  synAckRetransmissions: number;
  /** Set-up verdicts by kind. */
  failures: Partial<Record<SetupFailureKind, number>>;
}

export interface FileReport {
  file: string;
  format: 'pcap' | 'pcapng';
  gzip: boolean;
  frames: number;
  tcpPackets: number;
  /** Frames that were not decoded as TCP, by reason. */
  skipped: {
    unknownLinkType: number;
    notIp: number;
    notTcp: number;
    fragments: number;
    truncated: number;
    malformed: number;
  };
  /**
   * TCP frames that were a second copy of the packet before them, captured
   * twice and sent once: left out of every other count (packets, bytes,
   * retransmissions, RSTs), so they change no connection's story.
   */
  duplicateFrames: number;
  /**
   * The packets were stamped when they reached kad (a live capture through
   * cap), not by the kernel: the time between two packets, the handshake RTT
   * among them, includes how long they waited to be read.
   */
  arrivalTimestamps: boolean;
  /**
   * TCP packets whose IP header claimed more bytes than the frame had on the
   * wire (not the snaplen's doing): decoded from what the frame holds, as
   * tshark does, and counted here.
   */
  ipLengthBeyondFrame: number;
  /** The tunnels TCP packets arrived through (the connections are the inner flows). */
  tunnels: TunnelTally;
  /** Epoch seconds with 9 decimals of the first and last frame, or null. */
  firstTs: string | null;
  lastTs: string | null;
  /** Set when the capture could not be read to its end. */
  error: string | null;
  /**
   * The connections that pass the filters, in id order. The text report
   * builds only the ones it lists (problems first); `connectionCounts`
   * always covers them all.
   */
  connections: ConnectionReport[];
  connectionCounts: ConnectionCounts;
  /** Problem connections with their verdicts (absent connections had nothing to diagnose). */
  diagnoses: ConnectionDiagnosis[];
  /** Every diagnosed connection, grouped by path and kind of problem: the report's headline. */
  problemGroups: ProblemGroup[];
  idleTimeouts: PathIdleTimeout[];
  /** SYN and SYN-ACK retransmissions and set-up failures per path, for the paths that had any. */
  setupByPath: PathSetup[];
  /**
   * Set when kad forgot connections to stay within its memory budget
   * (--max-memory). Each was diagnosed and tallied before it was forgotten:
   * counts, problem groups and idle-timeout brackets cover every connection;
   * `connections` and `diagnoses` hold those kept in full.
   */
  evicted: EvictionSummary | null;
}

/** Encapsulations a mirror, link or firewall log wraps TCP in (src/wasm/encap/ reads them). */
export type TunnelKind =
  'vxlan' | 'geneve' | 'gre' | 'erspan-1' | 'erspan-2' | 'erspan-3' | 'mpls' | 'pppoe' | 'gtp-u' | 'ip-in-ip' | 'nflog';

/** One tunnel (its outermost header names it) and the TCP packets that came through it. */
export interface TunnelReport {
  kind: TunnelKind;
  /**
   * VNI (vxlan, geneve), key (gre, erspan-1), session id (erspan-2, erspan-3,
   * pppoe), bottom-of-stack label (mpls), TEID (gtp-u), log group (nflog);
   * null when the header carries none.
   */
  id: number | null;
  /** The outer IP header's addresses; null when the tunnel had none (MPLS or PPPoE on Ethernet, NFLOG). */
  outerSrc: string | null;
  outerDst: string | null;
  /** NFLOG: the logging rule's prefix (its first 52 bytes). */
  prefix: string | null;
  packets: number;
}

/** A capture's tunnels: the first 16 distinct ones listed, the packets of any others counted. */
export interface TunnelTally {
  listed: TunnelReport[];
  otherPackets: number;
}

/** What a bounded-memory run kept of the connections it forgot. */
export interface EvictionSummary {
  /** Connections diagnosed, tallied and forgotten. */
  connections: number;
  /** Of those, still listed in full in `connections` (problems first, as a report lists them). */
  listed: number;
  /** Verdicts tallied in `problemGroups` and `connectionCounts` but not kept in `diagnoses`. */
  diagnosesNotKept: number;
}

/** The connections of one path that had the same kind of problem. */
export interface ProblemGroup {
  path: string;
  /** The set-up failure (setup), else the first RST's attribution (reset) or the silence's kind (silent-drop). */
  problem:
    | { kind: 'setup'; setup: SetupFailureKind }
    | { kind: 'reset'; attribution: ResetAttribution }
    | { kind: 'silent-drop'; drop: SilentDropVerdict['kind'] };
  /** The side the RST claimed to come from, or whose packets went unanswered; for set-up failures, the client. */
  side: 'client' | 'server';
  connections: number;
  /** Median idle time before it happened (s), over the connections where that is known; null: none. */
  idleMedianS: number | null;
  /** Shortest and longest of those idle times (s); null: none known. */
  idleMinS: number | null;
  idleMaxS: number | null;
  /** Resets and set-up failures: the lowest confidence of the group's verdicts (what its headline may claim); null for silent drops. */
  minConfidence: number | null;
}

/** Every connection that passes the filters, counted (also those not listed). */
export interface ConnectionCounts {
  total: number;
  /** How they ended, in order of first appearance. */
  byEnd: Partial<Record<ConnectionEndKind, number>>;
  /** Ended abnormally, showed keepalive or retransmission trouble, or has a verdict. */
  problems: number;
  others: number;
}

export interface AnalysisReport {
  tool: 'keepalive-doctor';
  version: string;
  files: FileReport[];
  /** Present when several captures were analysed together. */
  comparisons: CaptureComparison[];
  /**
   * Captures of the same traffic told as one (null unless two captures share
   * connections): one finding per connection, one headline, one idle-timeout
   * bracket and recommendation per path. `files` keeps each capture's own
   * detail; this is what the run concludes.
   */
  merged: MergedView | null;
}

/** What several captures of the same traffic conclude together. */
export interface MergedView {
  /** One per connection that any capture diagnosed, in the order of the first capture's numbers. */
  findings: MergedFinding[];
  /** The findings grouped by path, problem and side: the run's headline (as FileReport.problemGroups). */
  problemGroups: ProblemGroup[];
  /**
   * One bracket per path from every capture's idle periods (a connection seen
   * by two captures counts once, with the longest period it survived and the
   * shortest it died of in either), each with its one recommendation.
   */
  idleTimeouts: PathIdleTimeout[];
}

export interface MergedFinding {
  /** The connection as each capture numbers it. */
  seenAs: Array<{ file: string; conn: number }>;
  /** The capture whose diagnosis tells the story: the most decisive problem, or the first to hit it. */
  file: string;
  diagnosis: ConnectionDiagnosis;
  /** What the other captures said about the same connection, one sentence each. */
  alsoSeen: Array<{ file: string; conn: number; verdict: string }>;
}

/** One line of `kad analyze --events` (JSON Lines). */
export interface PacketEvent {
  file?: string;
  frame: number;
  ts: string;
  conn: number;
  dir: Direction;
  kind: PacketKind;
  /** TCP flags as letters in tcpdump order: S F R P A U E C (e.g. "SA", "R", "FA"). */
  flags: string;
  seq: number;
  ack: number;
  len: number;
  ttl: number;
  win: number;
  src: string;
  dst: string;
  ipId: number | null;
}

// ---------------------------------------------------------------- diagnosis

/** Who really sent a RST, relative to where the capture was taken. */
export type ResetAttribution = 'peer' | 'local-stack' | 'middlebox' | 'unknown';

export type EvidenceStrength = 'decisive' | 'strong' | 'medium' | 'weak';

export type ResetSignal =
  | 'two-sided'
  | 'ttl'
  | 'timing'
  | 'idle-age'
  | 'ip-id'
  | 'timestamps'
  | 'window'
  | 'seq'
  | 'multiple-rsts'
  | 'data-after-rst'
  | 'kernel'
  | 'socketless'
  | 'proxy';

export interface Evidence {
  signal: ResetSignal;
  /** The attribution this signal supports; 'unknown' when it supports none. */
  pointsTo: ResetAttribution;
  strength: EvidenceStrength;
  detail: string;
  /** Why the signal is weak or could not decide, when it is. */
  caveat?: string;
}

export interface ResetVerdict {
  conn: number;
  frame: number;
  ts: string;
  /** Direction the RST travelled, and the endpoint it claims to come from. */
  dir: Direction;
  claimedSender: 'client' | 'server';
  attribution: ResetAttribution;
  /** 0..1 */
  confidence: number;
  /** The packet from the other side that the RST answered, when there was one. */
  trigger: { frame: number; kind: PacketKind; delayS: number; idleBeforeS: number } | null;
  evidence: Evidence[];
}

/** Probes or data that were never answered: the black-hole / dead-peer case. */
export interface SilentDropVerdict {
  conn: number;
  /** The side that kept sending and got nothing back. */
  sender: 'client' | 'server';
  /** 'black-hole': the path dropped them; 'dead-peer': they arrived and nobody answered; 'unanswered': cannot tell from this capture. */
  kind: 'black-hole' | 'dead-peer' | 'unanswered';
  keepalives: number;
  retransmissions: number;
  firstFrame: number;
  lastFrame: number;
  /** Silence before the first unanswered packet (s). */
  idleBeforeS: number;
  /** Time from the first to the last unanswered packet (s). */
  spanS: number;
  /** How it ended: the sender gave up silently, sent its own RST, or the capture ended first. */
  end: 'gave-up' | 'local-rst' | 'capture-ended';
  /**
   * Why the silence may not be real, or null: the capture missed segments of
   * this connection, or its source lost packets, and an answer may be among
   * them. A silence is evidence of absence, so it is only as good as the
   * capture's completeness.
   */
  doubt: string | null;
  evidence: string[];
}

export interface IdleTimeoutInference {
  /** The server endpoint the connections share ("addr:port"). */
  path: string;
  connections: number;
  /** Longest idle period that was survived, and how many survived (s). */
  survivedMaxS: number | null;
  survived: number;
  /** Shortest idle period after which the connection was reset by a middlebox or black-holed (s). */
  diedMinS: number | null;
  died: number;
  /** True when survivedMax < diedMin, i.e. one idle timeout explains everything. */
  consistent: boolean;
  /** Known middlebox defaults inside the bracket: preset id (kad recommend --behind), product name, its timeout. */
  matches: Array<{ preset: string; name: string; timeoutS: number }>;
}

/** A path's idle-timeout bracket as a report has it: with the keepalive setting that fits it. */
export interface PathIdleTimeout extends IdleTimeoutInference {
  /** Null when no setting fits; `noRecommendationReason` says why. */
  recommendation: KeepaliveRecommendation | null;
  /** Why there is no recommendation (the bracket is inconsistent, or the timeout is too short for TCP keepalive); null when there is one. */
  noRecommendationReason: string | null;
}

/** TCP keepalive settings that keep every idle gap of a path under its idle timeout (as `kad recommend --idle-timeout sizedForS`). */
export interface KeepaliveRecommendation {
  /**
   * The idle timeout (s) the setting is sized against: the longest idle period
   * that was survived, as gaps no longer than that are proven safe on the
   * path; without one, the shortest that died.
   */
  sizedForS: number;
  /** False when sized against a period that died: the real timeout may be shorter, so verify. */
  provenSafe: boolean;
  /** Consecutive lost probes the setting survives. */
  toleratedLosses: number;
  /** TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (net.ipv4.tcp_keepalive_time, _intvl, _probes). */
  keepalive: { timeS: number; intervalS: number; probes: number };
  /** TCP_USER_TIMEOUT matching the keepalive give-up time (ms). */
  userTimeoutMs: number;
  /** Dead-peer detection on an idle connection: timeS + probes × intervalS (s). */
  detectionS: number;
}

export type SetupFailureKind =
  | 'listen-overflow' // handshake completed at the client, the server's accept queue was full: SYN-ACK retransmitted after the client's ACK/data, data never acknowledged (tcp_abort_on_overflow=0), or a RST right after the client's ACK (=1)
  | 'syn-unanswered' // SYN (and its retries) got no answer; the client gave up or the capture ended
  | 'refused' // SYN answered by RST (closed port)
  | 'syn-ack-retries' // server retransmitted its SYN-ACK: the client's ACK was lost or late (not listen-overflow)
  | 'port-reuse' // SYN on a 4-tuple the peer still holds (open or TIME_WAIT): answered by a (challenge) ACK or RST instead of a SYN-ACK
  | 'opening-reset' // RST during or right after set-up, before any data, not one of the above
  | 'injected-rst'; // a RST answering the SYN and then a valid SYN-ACK for the same SYN: an injector

export interface SetupVerdict {
  conn: number;
  kind: SetupFailureKind;
  /** 0..1, honest: what the packets can tell. */
  confidence: number;
  /** One sentence naming the cause and the remedy, e.g. "the listen queue of 198.51.100.10:80 overflowed: the handshake completed at the client but the server's application never accepted it; raise net.core.somaxconn and the application's listen() backlog, or accept faster". */
  summary: string;
  evidence: string[];
}

export interface ConnectionDiagnosis {
  conn: number;
  /** The server endpoint ("addr:port", IPv6 in brackets): connections through one path share its middleboxes. */
  path: string;
  /** One-sentence verdict. */
  verdict: string;
  /** How the set-up failed, when it did: the headline, ahead of its RSTs. */
  setup: SetupVerdict | null;
  resets: ResetVerdict[];
  silentDrop: SilentDropVerdict | null;
}

/** Two captures of the same traffic taken at different points (e.g. client edge and server edge). */
export interface CaptureComparison {
  files: [string, string];
  /** Connection pairs [id in first, id in second]. */
  matched: Array<[number, number]>;
  /** How pairs were matched: by both initial sequence numbers (survives NAT) or by 4-tuple. */
  matchedBy: 'isn' | 'tuple' | 'mixed' | 'none';
  /** Addresses or ports differ between the two views of a connection: NAT in between. */
  nat: boolean;
  /** Second capture's clock minus the first's (s), and ± how far off that may be (the one-way delay). */
  clockOffsetS: number | null;
  clockUncertaintyS: number | null;
}

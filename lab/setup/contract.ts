/**
 * The set-up verdicts as `kad analyze --json` documents them (issue 24's
 * shared contract): connections[].setup and diagnoses[].setup. Another
 * branch adds these very types to src/model/analysis-report.ts; once it is
 * merged this file should only re-export them from there.
 */

/** How a connection's set-up went, from packets. */
export interface ConnectionSetup {
  /** SYNs sent again for the same initial sequence number (the client's retries). */
  synRetransmissions: number;
  /** SYN-ACKs sent again for the same initial sequence number. */
  synAckRetransmissions: number;
  /** First SYN → the ACK that completed the handshake (s); null if it never completed in the capture. */
  setupS: number | null;
}

export type SetupFailureKind =
  'listen-overflow' | 'syn-unanswered' | 'refused' | 'syn-ack-retries' | 'port-reuse' | 'opening-reset' | 'injected-rst';

export interface SetupVerdict {
  conn: number;
  kind: SetupFailureKind;
  /** 0..1, honest: what the packets can tell. */
  confidence: number;
  /** One sentence naming the cause and the remedy. */
  summary: string;
  evidence: string[];
}

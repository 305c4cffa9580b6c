import type {
  ConnectionDiagnosis,
  SetupFailureKind,
  ConnectionReport,
  FileReport,
  IdleTimeoutInference,
  PathIdleTimeout,
  PathSetup,
  ProblemGroup,
} from '../model/analysis-report.js';
import { durationText } from '../util/time-text.js';
import type { Style } from './style.js';

/** Set-up failures in a headline: what happened, and the remedy after the count. */
const SETUP_WORDS: Readonly<Record<SetupFailureKind, { what: string; tail: string }>> = {
  'listen-overflow': {
    what: "lost to a full listen queue (the handshake completed, the server's application never accepted)",
    tail: "; raise net.core.somaxconn and the application's listen() backlog, or accept faster",
  },
  'syn-unanswered': {
    what: 'never answered (the SYNs got no reply)',
    tail: "; a black hole or a firewall drop on the path, or the server's full listen queue (each verdict says which fits)",
  },
  refused: { what: 'refused (a RST answered the SYN)', tail: '; nothing listens on that port, or a firewall rejects' },
  'syn-ack-retries': {
    what: 'slow to set up (the server had to resend its SYN-ACK)',
    tail: "; the client's ACK was lost or late on the path",
  },
  'port-reuse': {
    what: 'turned away at first: the server still held the 4-tuple (source port reuse)',
    tail: '; the client reuses source ports too fast (tcp_tw_reuse, ip_local_port_range) or the server holds TIME_WAIT',
  },
  'opening-reset': { what: 'reset during set-up, before any data', tail: '' },
  'injected-rst': {
    what: 'hit by an injected RST during set-up (the real server answered after it)',
    tail: '; a device on the path forges resets',
  },
};

/** What happened to a group's connections, and what to add after the count. */
function problemWords(g: ProblemGroup): { what: string; tail: string } {
  const side = g.side;
  const p = g.problem;
  if (p.kind === 'setup') return SETUP_WORDS[p.setup];
  if (p.kind === 'reset') {
    switch (p.attribution) {
      case 'middlebox':
        return { what: 'reset by a middlebox', tail: `; the ${side} never sent these resets` };
      case 'peer':
        return { what: `reset by the ${side} itself (a genuine RST)`, tail: '' };
      case 'local-stack':
        return { what: `reset by this host's own stack (the ${side})`, tail: '' };
      default:
        return { what: `reset by a RST of unclear origin (claiming the ${side})`, tail: '' };
    }
  }
  const what =
    p.drop === 'black-hole'
      ? `black-holed (the path dropped the ${side}'s packets)`
      : p.drop === 'dead-peer'
        ? `left talking to a dead peer (the ${side}'s packets arrived, nothing answered)`
        : `silently dropped (the ${side}'s packets went unanswered)`;
  return { what, tail: '' };
}

/**
 * Below this a verdict is a lean, not a finding: its headline says
 * "probably" and gives the confidence, so that nobody pastes it into an
 * incident as fact.
 */
export const HEADLINE_CONFIDENCE = 0.7;

/** When it happened: one idle time, or the range the group's spans (a median would hide that the shortest was shorter). */
function idleWords(g: ProblemGroup): string {
  if (g.idleMinS === null || g.idleMaxS === null) return '';
  const they = g.connections === 1 ? 'it' : 'they';
  const lo = durationText(g.idleMinS);
  const hi = durationText(g.idleMaxS);
  return lo === hi ? ` about ${lo} after ${they} went idle` : ` ${lo} to ${hi} after ${they} went idle`;
}

/** What happened, in one sentence per kind of problem and path, for the top of the report. */
export function headlineSentences(r: Pick<FileReport, 'problemGroups'>): string[] {
  return r.problemGroups.map((g) => {
    const n = g.connections;
    const { what, tail } = problemWords(g);
    const unsure = g.minConfidence !== null && g.minConfidence > 0 && g.minConfidence < HEADLINE_CONFIDENCE;
    const hedge = unsure ? 'probably ' : '';
    const conf = unsure ? ` (confidence ${g.minConfidence!.toFixed(2)}${n > 1 ? ' for the least sure' : ''})` : '';
    return `${n} connection${n === 1 ? '' : 's'} to ${g.path} ${n === 1 ? 'was' : 'were'} ${hedge}${what}${conf}${idleWords(g)}${tail}.`;
  });
}

export function renderDiagnosis(d: ConnectionDiagnosis, st: Style): string[] {
  const lines = [`    ${st.bold('verdict:')} ${d.verdict}`];
  if (d.setup) {
    lines.push(`    set-up: ${st.red(d.setup.kind)}, confidence ${d.setup.confidence.toFixed(2)}`);
    for (const e of d.setup.evidence) lines.push(`      · ${e}`);
  }
  for (const v of d.resets) {
    lines.push(
      `    RST frame ${v.frame} (${v.dir}, claims the ${v.claimedSender}): ${colourAttribution(v.attribution, st)}${v.confidence ? `, confidence ${v.confidence.toFixed(2)}` : ''}`,
    );
    for (const e of v.evidence) {
      const mark = e.pointsTo === 'unknown' ? st.dim('·') : e.pointsTo === 'middlebox' ? st.red('▲') : st.green('●');
      lines.push(
        `      ${mark} [${e.signal}, ${e.strength}${e.pointsTo === 'unknown' ? '' : ` → ${e.pointsTo}`}] ${e.detail}${e.caveat ? st.dim(` (caveat: ${e.caveat})`) : ''}`,
      );
    }
  }
  if (d.silentDrop) for (const e of d.silentDrop.evidence) lines.push(`      · ${e}`);
  return lines;
}

function colourAttribution(a: string, st: Style): string {
  if (a === 'middlebox') return st.red(a);
  if (a === 'unknown') return st.yellow(a);
  return st.green(a);
}

/** The bracket on a path's idle timeout T, or why there is none. */
export function idleBracketText(t: IdleTimeoutInference): string {
  const lo = t.survivedMaxS;
  const hi = durationText(t.diedMinS!);
  if (lo === null) return `T ≤ ${hi}`;
  if (!t.consistent) return `no single T: idle periods up to ${durationText(lo)} were survived, yet one of ${hi} died`;
  return `${durationText(lo)} < T ≤ ${hi}`;
}

/** The idle-timeout bracket per path, and the keepalive settings the report recommends for it. */
export function renderIdleTimeouts(list: PathIdleTimeout[], st: Style): string[] {
  const out: string[] = [];
  for (const t of list) {
    const bracket = idleBracketText(t);
    out.push(
      `  ${st.bold(`Idle timeout of the path to ${t.path}:`)} ${bracket} (${t.survived} idle period${t.survived === 1 ? '' : 's'} survived, ${t.died} died, ${t.connections} connection${t.connections === 1 ? '' : 's'})`,
    );
    if (!t.consistent) {
      out.push(
        st.yellow(
          '    inconsistent: some idle periods longer than one that died were survived; more than one timeout, or not an idle timeout at all',
        ),
      );
      continue;
    }
    if (t.matches.length) out.push(`    matches the default of: ${t.matches.map((m) => `${m.preset} (${m.timeoutS} s)`).join(', ')}`);
    const r = t.recommendation;
    if (r) {
      const k = r.keepalive;
      out.push(
        `    ${st.bold('recommendation:')} TCP keepalive time ${k.timeS} s, interval ${k.intervalS} s, ${k.probes} probes` +
          ` (sysctl net.ipv4.tcp_keepalive_time=${k.timeS} net.ipv4.tcp_keepalive_intvl=${k.intervalS} net.ipv4.tcp_keepalive_probes=${k.probes}, or per socket);` +
          ` ${r.provenSafe ? `every gap stays under the ${durationText(r.sizedForS)} idle that was survived` : `the timeout may be shorter than ${durationText(r.sizedForS)}: verify`}.` +
          ` Details and snippets: kad recommend --idle-timeout ${Math.floor(r.sizedForS)}s`,
      );
    } else {
      out.push(`    recommendation: ${t.noRecommendationReason}`);
    }
  }
  return out;
}

/**
 * A connection's set-up, when it was more than one clean exchange: the
 * retries and the time from the first SYN (the handshake RTT is the last
 * exchange's only).
 */
export function setupFacts(c: ConnectionReport): string[] {
  const s = c.setup;
  if (s.synRetransmissions + s.synAckRetransmissions === 0 && (s.setupS === null || c.handshakeRttS !== null)) return [];
  const out: string[] = [];
  if (s.setupS !== null) out.push(`set-up ${durationText(s.setupS)} from the first SYN`);
  if (s.synRetransmissions) out.push(`${s.synRetransmissions} SYN retransmission${s.synRetransmissions === 1 ? '' : 's'}`);
  if (s.synAckRetransmissions) out.push(`${s.synAckRetransmissions} SYN-ACK retransmission${s.synAckRetransmissions === 1 ? '' : 's'}`);
  return out;
}

/** Set-up failures by kind, as "2 refused, 1 port-reuse". */
export function setupFailuresText(failures: PathSetup['failures']): string {
  return Object.entries(failures)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
}

/** Per path: SYN and SYN-ACK retransmissions and set-up failures. */
export function renderSetupPaths(list: readonly PathSetup[], st: Style): string[] {
  return list.map((p) => {
    const failures = setupFailuresText(p.failures);
    return (
      `  ${st.bold(`Set-up on the path to ${p.path}:`)} ${p.synRetransmissions} SYN and ${p.synAckRetransmissions} SYN-ACK retransmission${p.synAckRetransmissions === 1 ? '' : 's'}` +
      `; ${failures ? `failures: ${failures}` : 'no failed set-up'}`
    );
  });
}

export function isDiagnosed(c: ConnectionReport, r: FileReport): boolean {
  return r.diagnoses.some((d) => d.conn === c.id);
}

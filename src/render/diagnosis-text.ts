import type { ConnectionDiagnosis, ConnectionReport, FileReport, IdleTimeoutInference } from '../report/analysis-report.js';
import { solveKeepalive } from '../recommend/keepalive-solver.js';
import { durationText } from '../util/time-text.js';
import type { Style } from './style.js';

interface Group {
  path: string;
  what: string;
  conns: ConnectionDiagnosis[];
  idle: number[];
  tail: string;
}

/** What happened, in one sentence per kind of problem and path, for the top of the report. */
export function headlineSentences(r: FileReport): string[] {
  const groups = new Map<string, Group>();
  for (const d of r.diagnoses) {
    const path = d.path;
    const first = d.resets[0];
    let what: string;
    let tail = '';
    let idle: number | null = null;
    // A stack that gives up on unanswered probes resets the connection itself: the silence is the story.
    if (first && !(d.silentDrop && first.attribution === 'local-stack')) {
      const claimed = first.claimedSender;
      if (first.attribution === 'middlebox') {
        what = 'reset by a middlebox';
        tail = `; the ${claimed} never sent these resets`;
      } else if (first.attribution === 'peer') what = `reset by the ${claimed} itself (a genuine RST)`;
      else if (first.attribution === 'local-stack') what = `reset by this host's own stack (the ${claimed})`;
      else what = `reset by a RST of unclear origin (claiming the ${claimed})`;
      if (first.trigger && first.trigger.idleBeforeS >= 1) idle = first.trigger.idleBeforeS;
    } else if (d.silentDrop) {
      const s = d.silentDrop;
      what = s.kind === 'black-hole' ? `black-holed (the path dropped the ${s.sender}'s packets)` : s.kind === 'dead-peer' ? `left talking to a dead peer (the ${s.sender}'s packets arrived, nothing answered)` : `silently dropped (the ${s.sender}'s packets went unanswered)`;
      idle = s.idleBeforeS;
    } else continue;
    const key = `${path}|${what}`;
    const g = groups.get(key) ?? { path, what, conns: [], idle: [], tail };
    g.conns.push(d);
    if (idle !== null) g.idle.push(idle);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const n = g.conns.length;
    const idleText = g.idle.length ? ` about ${durationText(median(g.idle))} after ${n === 1 ? 'it' : 'they'} went idle` : '';
    return `${n} connection${n === 1 ? '' : 's'} to ${g.path} ${n === 1 ? 'was' : 'were'} ${g.what}${idleText}${g.tail}.`;
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function renderDiagnosis(d: ConnectionDiagnosis, st: Style): string[] {
  const lines = [`    ${st.bold('verdict:')} ${d.verdict}`];
  for (const v of d.resets) {
    lines.push(`    RST frame ${v.frame} (${v.dir}, claims the ${v.claimedSender}): ${colourAttribution(v.attribution, st)}${v.confidence ? `, confidence ${v.confidence.toFixed(2)}` : ''}`);
    for (const e of v.evidence) {
      const mark = e.pointsTo === 'unknown' ? st.dim('·') : e.pointsTo === 'middlebox' ? st.red('▲') : st.green('●');
      lines.push(`      ${mark} [${e.signal}, ${e.strength}${e.pointsTo === 'unknown' ? '' : ` → ${e.pointsTo}`}] ${e.detail}${e.caveat ? st.dim(` (caveat: ${e.caveat})`) : ''}`);
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

/** The idle-timeout bracket per path, and keepalive settings proven (or likely) to keep such flows alive. */
export function renderIdleTimeouts(list: IdleTimeoutInference[], st: Style): string[] {
  const out: string[] = [];
  for (const t of list) {
    const lo = t.survivedMaxS;
    const bracket = idleBracketText(t);
    out.push(`  ${st.bold(`Idle timeout of the path to ${t.path}:`)} ${bracket} (${t.survived} idle period${t.survived === 1 ? '' : 's'} survived, ${t.died} died, ${t.connections} connection${t.connections === 1 ? '' : 's'})`);
    if (!t.consistent) {
      out.push(st.yellow('    inconsistent: some idle periods longer than one that died were survived; more than one timeout, or not an idle timeout at all'));
      continue;
    }
    if (t.matches.length) out.push(`    matches the default of: ${t.matches.map((m) => `${m.preset} (${m.timeoutS} s)`).join(', ')}`);
    // Keepalive gaps no longer than an idle period that was survived are proven safe on this path.
    const basis = lo ?? t.diedMinS!;
    try {
      const sol = solveKeepalive({ pathTimeoutS: basis, toleratedLosses: 2, detectWithinS: null });
      const k = sol.keepalive;
      out.push(
        `    ${st.bold('recommendation:')} TCP keepalive time ${k.timeS} s, interval ${k.intervalS} s, ${k.probes} probes` +
          ` (sysctl net.ipv4.tcp_keepalive_time=${k.timeS} net.ipv4.tcp_keepalive_intvl=${k.intervalS} net.ipv4.tcp_keepalive_probes=${k.probes}, or per socket);` +
          ` ${lo !== null ? `every gap stays under the ${durationText(lo)} idle that was survived` : `the timeout may be shorter than ${durationText(t.diedMinS!)}: verify`}.` +
          ` Details and snippets: kad recommend --idle-timeout ${Math.floor(basis)}s`,
      );
    } catch (err) {
      out.push(`    recommendation: ${(err as Error).message}`);
    }
  }
  return out;
}

export function isDiagnosed(c: ConnectionReport, r: FileReport): boolean {
  return r.diagnoses.some((d) => d.conn === c.id);
}

import { problemKey } from '../report/problem-groups.js';
import type { ConnectionReport, DirectionStats, FileReport } from '../model/analysis-report.js';
import { endpointText } from '../util/ip-text.js';
import { durationText, wallClockText } from '../util/time-text.js';
import type { CaptureComparison, ConnectionDiagnosis, MergedView } from '../model/analysis-report.js';
import { describeSkipped } from '../analyze/skipped-counts.js';
import { lengthBeyondFrameText, tunnelTexts } from '../report/tunnel-text.js';
import { isProblem } from '../report/build-file-report.js';
import { ARRIVAL_STAMPS_NOTE, duplicatesText, handshakeRttText } from './capture-notes.js';
import { headlineSentences, renderDiagnosis, renderIdleTimeouts, renderSetupPaths, setupFacts } from './diagnosis-text.js';
import type { Style } from './style.js';
import { pushAll } from '../util/extremes.js';

/** A terminal report stays readable; --json has every connection. */
export const MAX_LISTED = 200;

function parseEpoch(ts: string): [number, number] {
  const [s, ns] = ts.split('.');
  return [Number(s), Number((ns ?? '0').padEnd(9, '0'))];
}

function when(ts: string, withDate = true): string {
  const [s, ns] = parseEpoch(ts);
  return wallClockText(s, ns, 6, withDate);
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function endLine(c: ConnectionReport, st: Style): string {
  const e = c.ended;
  const at = e.frame !== null && e.ts !== null ? ` at frame ${e.frame} (${when(e.ts, false)})` : '';
  switch (e.kind) {
    case 'reset':
      // "claiming to be": beside a middlebox verdict, "from the client" would read as "the client reset it".
      return st.red(`reset: RST claiming to be from the ${e.by}${at}`);
    case 'rejected':
      return st.red(`connection refused (RST to SYN)${at}`);
    case 'no-answer':
      return st.yellow('SYN never answered');
    case 'fin':
      return st.green(`closed normally (FIN, first by the ${e.by})${at}`);
    case 'half-closed':
      return st.yellow(`half-closed: only the ${e.by} sent FIN${at}`);
    case 'open':
      return 'still open when the capture ended';
  }
}

function directionLine(label: string, d: DirectionStats): string {
  const parts = [`${d.packets} pkts`, bytesText(d.bytes), `${bytesText(d.payloadBytes)} payload`];
  if (d.ttl) parts.push(d.ttl.min === d.ttl.max ? `TTL ${d.ttl.first}` : `TTL ${d.ttl.min}–${d.ttl.max} (first ${d.ttl.first})`);
  if (d.keepalives) parts.push(`${d.keepalives} keepalive${d.keepalives === 1 ? '' : 's'}`);
  if (d.keepaliveAcks) parts.push(`${d.keepaliveAcks} keepalive ACK${d.keepaliveAcks === 1 ? '' : 's'}`);
  if (d.retransmissions) parts.push(`${d.retransmissions} retransmission${d.retransmissions === 1 ? '' : 's'}`);
  if (d.zeroWindowProbes) parts.push(`${d.zeroWindowProbes} zero-window probes`);
  if (d.fins) parts.push('FIN');
  if (d.rsts) parts.push(`${d.rsts} RST`);
  return `    ${label} ${parts.join(', ')}`;
}

export function renderConnection(c: ConnectionReport, st: Style, diagnosis?: ConnectionDiagnosis, arrivalTimestamps = false): string[] {
  const head = `${st.bold(`#${c.id}`)} ${endpointText(c.client)} → ${endpointText(c.server)}`;
  const lines = [`  ${head}  ${endLine(c, st)}`];
  const facts = [`start ${when(c.start)}`, `lasted ${durationText(c.durationS)}`];
  if (c.handshakeRttS !== null) facts.push(handshakeRttText(c.handshakeRttS, arrivalTimestamps));
  pushAll(facts, setupFacts(c));
  if (c.midStream) facts.push(st.dim('picked up mid-stream (no SYN seen; roles guessed from ports)'));
  lines.push(`    ${facts.join(', ')}`);
  const idle = [`longest idle ${durationText(c.longestIdleS)}`];
  if (c.longestIdleEndFrame !== null && c.longestIdleS > 0) idle.push(`ended by frame ${c.longestIdleEndFrame}`);
  if (c.keepalives.sent || c.keepalives.answered) idle.push(`keepalives ${c.keepalives.sent} sent, ${c.keepalives.answered} answered`);
  if (c.duplicates) idle.push(`${c.duplicates} duplicate frame${c.duplicates === 1 ? '' : 's'} (captured twice, counted once)`);
  if (c.captureGaps) idle.push(st.yellow(`${c.captureGaps} capture gap${c.captureGaps === 1 ? '' : 's'} (segments not captured)`));
  lines.push(`    ${idle.join(', ')}`);
  lines.push(directionLine('client→server:', c.c2s));
  lines.push(directionLine('server→client:', c.s2c));
  if (diagnosis) pushAll(lines, renderDiagnosis(diagnosis, st));
  return lines;
}

/**
 * Problem connections with the same path, problem and side (a problem
 * group) are told once: the first in full, the rest by number. Thirteen
 * connections reset by one firewall are one story, not thirteen pages.
 */
function groupAlike(
  list: readonly ConnectionReport[],
  diag: ReadonlyMap<number, ConnectionDiagnosis>,
): { first: ConnectionReport; like: ConnectionReport[] }[] {
  const out: { first: ConnectionReport; like: ConnectionReport[] }[] = [];
  const byKey = new Map<string, { first: ConnectionReport; like: ConnectionReport[] }>();
  for (const c of list) {
    const d = diag.get(c.id);
    const key = d ? problemKey(d) : null;
    const g = key === null ? undefined : byKey.get(key);
    if (g) {
      g.like.push(c);
      continue;
    }
    const entry = { first: c, like: [] };
    out.push(entry);
    if (key !== null) byKey.set(key, entry);
  }
  return out;
}

/** Numbers listed before "…": enough to pick one for --conn. */
const LIKE_IDS = 20;

function likeLine(first: ConnectionReport, like: readonly ConnectionReport[], st: Style): string {
  const ids = like.slice(0, LIKE_IDS).map((c) => `#${c.id}`);
  if (like.length > LIKE_IDS) ids.push('…');
  return st.dim(
    `    ${like.length + 1} connections like #${first.id} (same path, same verdict); the others: ${ids.join(', ')}; --conn N shows one in full`,
  );
}

/**
 * One capture's report. With `mergedElsewhere` (captures of the same traffic
 * told as one by renderMergedView), its own headline and brackets are left
 * out: the run says them once.
 */
export function renderFileReport(r: FileReport, st: Style, mergedElsewhere = false): string {
  const out: string[] = [];
  const span = r.firstTs && r.lastTs ? `, ${when(r.firstTs)} → ${when(r.lastTs, false)}` : '';
  out.push(st.bold(`${r.file}`) + ` — ${r.format}${r.gzip ? ' (gzip)' : ''}, ${r.frames} frames, ${r.tcpPackets} TCP packets${span}`);
  const skipped = describeSkipped(r.skipped);
  if (skipped.length) out.push(st.dim(`  skipped: ${skipped.join(', ')}`));
  if (r.duplicateFrames) out.push(st.dim(`  ${duplicatesText(r.duplicateFrames)}`));
  if (r.arrivalTimestamps) out.push(st.dim(`  ${ARRIVAL_STAMPS_NOTE}`));
  const tunnels = tunnelTexts(r.tunnels);
  if (tunnels.length) out.push(st.dim(`  tunnels: ${tunnels.join('; ')}`));
  const overran = lengthBeyondFrameText(r.ipLengthBeyondFrame);
  if (overran) out.push(st.dim(`  ${overran}`));
  if (r.error) out.push(st.red(`  capture incomplete: ${r.error}`));
  if (mergedElsewhere) {
    if (r.problemGroups.length || r.idleTimeouts.length)
      out.push(st.dim('  headline, idle timeout and recommendation: for all captures together, at the top'));
  } else {
    const headlines = headlineSentences(r);
    if (headlines.length) {
      out.push('');
      for (const h of headlines) out.push(`  ${st.bold('▶')} ${h}`);
    }
    const idle = renderIdleTimeouts(r.idleTimeouts, st);
    if (idle.length) {
      out.push('');
      pushAll(out, idle);
    }
  }
  const setup = renderSetupPaths(r.setupByPath, st);
  if (setup.length) {
    out.push('');
    pushAll(out, setup);
  }
  const diag = new Map(r.diagnoses.map((d) => [d.conn, d]));
  const problems = r.connections.filter((c) => isProblem(c) || diag.has(c.id));
  const ok = r.connections.filter((c) => !isProblem(c) && !diag.has(c.id));
  const counts = r.connectionCounts;
  const byEnd = Object.entries(counts.byEnd).map(([k, n]) => `${n} ${k}`);
  out.push(`  ${counts.total} connection${counts.total === 1 ? '' : 's'}: ${byEnd.join(', ') || 'none'}`);
  if (r.evicted) {
    const e = r.evicted;
    out.push(
      st.dim(
        `  ${e.connections} ended or idle connections were tallied and then forgotten to stay within --max-memory; all are counted above, ${e.listed} are kept in full`,
      ),
    );
  }
  if (counts.problems) {
    out.push('');
    out.push(st.bold(`  Problem connections (${counts.problems})`));
    const shown = problems.slice(0, MAX_LISTED);
    for (const { first, like } of groupAlike(shown, diag)) {
      pushAll(out, renderConnection(first, st, diag.get(first.id), r.arrivalTimestamps));
      if (like.length) out.push(likeLine(first, like, st));
      out.push('');
    }
    if (counts.problems > shown.length)
      out.push(st.dim(`  … ${counts.problems - shown.length} more problem connections (use --json, --conn, --port or --host)`));
  }
  if (counts.others) {
    out.push('');
    out.push(st.bold(`  Other connections (${counts.others})`));
    const shown = ok.slice(0, Math.max(0, MAX_LISTED - counts.problems));
    for (const c of shown) pushAll(out, renderConnection(c, st, undefined, r.arrivalTimestamps)).push('');
    if (counts.others > shown.length) out.push(st.dim(`  … ${counts.others - shown.length} more (use --json, --conn, --port or --host)`));
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

/**
 * What the captures conclude together: the headline, each path's one bracket
 * and recommendation, and one finding per connection, told from the capture
 * that saw it best, with what the others said in a line each.
 */
export function renderMergedView(m: MergedView, files: readonly string[], st: Style): string {
  const out = [st.bold(`All captures together (${files.join(', ')})`)];
  const headlines = headlineSentences(m);
  if (headlines.length) {
    out.push('');
    for (const h of headlines) out.push(`  ${st.bold('▶')} ${h}`);
  } else out.push('  no connection was reset or silently dropped');
  const idle = renderIdleTimeouts(m.idleTimeouts, st);
  if (idle.length) {
    out.push('');
    pushAll(out, idle);
  }
  for (const f of m.findings) {
    out.push('');
    const views = f.seenAs.map((v) => `#${v.conn} in ${v.file}`).join(' = ');
    out.push(`  ${st.bold(views)}  ${f.diagnosis.path} ${st.dim(`(told from ${f.file})`)}`);
    pushAll(out, renderDiagnosis(f.diagnosis, st));
    for (const a of f.alsoSeen) out.push(st.dim(`    ${a.file} (#${a.conn}) saw: ${a.verdict}`));
  }
  return out.join('\n') + '\n';
}

/** How the captures line up: which connections are the same, and the clock offset between them. */
export function renderComparisons(list: CaptureComparison[], st: Style): string {
  const out: string[] = [];
  for (const c of list) {
    out.push(st.bold(`${c.files[0]} ⇄ ${c.files[1]}`));
    const pairs = c.matched
      .slice(0, 10)
      .map(([a, b]) => `#${a}=#${b}`)
      .join(', ');
    out.push(
      `  ${c.matched.length} connection${c.matched.length === 1 ? '' : 's'} seen in both (matched by ${c.matchedBy === 'isn' ? 'initial sequence numbers' : c.matchedBy}): ${pairs}${c.matched.length > 10 ? ', …' : ''}`,
    );
    if (c.nat) out.push('  addresses or ports differ between the two views: NAT in between');
    if (c.clockOffsetS !== null) {
      const unc = c.clockUncertaintyS !== null && Number.isFinite(c.clockUncertaintyS) ? ` ± ${durationText(c.clockUncertaintyS)}` : '';
      out.push(`  clock offset (second − first): ${durationText(c.clockOffsetS)}${unc}`);
    }
  }
  return out.join('\n') + '\n';
}

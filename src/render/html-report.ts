import type {
  AnalysisReport,
  CaptureComparison,
  ConnectionDiagnosis,
  ConnectionReport,
  Evidence,
  FileReport,
  MergedFinding,
  PathIdleTimeout,
  ResetVerdict,
  SetupVerdict,
  SilentDropVerdict,
} from '../model/analysis-report.js';
import type { ConnectionTimeline, HtmlFileReport } from '../report/connection-timeline.js';
import { endpointText } from '../util/ip-text.js';
import { durationText, wallClockText } from '../util/time-text.js';
import { headlineSentences, idleBracketText, setupFacts, setupFailuresText } from './diagnosis-text.js';
import { ATTRIBUTION_COLOURS, esc, renderTimelineSvg } from './svg-timeline.js';
import { describeSkipped } from '../analyze/skipped-counts.js';
import { ARRIVAL_STAMPS_NOTE, duplicatesText, handshakeRttText } from './capture-notes.js';
import { lengthBeyondFrameText, tunnelTexts } from '../report/tunnel-text.js';
import { isProblem } from '../report/build-file-report.js';

/** Timelines beyond this many per file would make a page nobody scrolls through; the table still lists every problem. */
export const MAX_TIMELINES = 50;
/** Rows of the connection table per file; --json has them all. */
export const MAX_TABLE_ROWS = 500;

export interface HtmlReport extends Omit<AnalysisReport, 'files'> {
  files: HtmlFileReport[];
}

// ------------------------------------------------------------ markup helpers

/** Markup that is already safe; anything else interpolated into `h` is escaped. */
class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Markup | string | number | null | undefined | false | Part[];

function flat(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Markup) return p.text;
  if (Array.isArray(p)) return p.map(flat).join('');
  return esc(p);
}

function h(strings: TemplateStringsArray, ...parts: Part[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += flat(parts[i]!) + strings[i + 1]!;
  return new Markup(out);
}

const raw = (s: string) => new Markup(s);

// ------------------------------------------------------------ text helpers

function when(ts: string | null, withDate = true): string {
  if (!ts) return '—';
  const [s, ns] = ts.split('.');
  return wallClockText(Number(s), Number((ns ?? '0').padEnd(9, '0')), 3, withDate);
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function utcOffset(ts: string | null): string {
  const d = ts ? new Date(Number(ts.split('.')[0]) * 1000) : new Date();
  const m = -d.getTimezoneOffset();
  const sign = m < 0 ? '−' : '+';
  const a = Math.abs(m);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function endText(c: ConnectionReport): { text: string; cls: string } {
  const e = c.ended;
  switch (e.kind) {
    case 'reset':
      return { text: `reset (RST claiming to be from the ${e.by})`, cls: 'bad' };
    case 'rejected':
      return { text: 'refused (RST to SYN)', cls: 'bad' };
    case 'no-answer':
      return { text: 'SYN never answered', cls: 'warn' };
    case 'fin':
      return { text: `closed (FIN, first by the ${e.by})`, cls: 'good' };
    case 'half-closed':
      return { text: `half-closed (only the ${e.by} sent FIN)`, cls: 'warn' };
    case 'open':
      return { text: 'open at capture end', cls: 'neutral' };
  }
}

function attributionBadge(a: ResetVerdict['attribution'] | Evidence['pointsTo']): Markup {
  const label = a === 'local-stack' ? 'local stack' : a;
  return h`<span class="badge" style="background:${ATTRIBUTION_COLOURS[a]}">${label}</span>`;
}

// ------------------------------------------------------------ recommendation

interface PathAdvice {
  bracket: string;
  counts: string;
  consistent: boolean;
  matches: string[];
  keepalive: string | null;
  caveat: string;
}

/** The path's bracket and the report's recommendation for it, as the advice box and the cards word them. */
function pathAdvice(t: PathIdleTimeout): PathAdvice {
  const lo = t.survivedMaxS;
  const hi = t.diedMinS!;
  const advice: PathAdvice = {
    bracket: idleBracketText(t),
    counts: `${plural(t.survived, 'idle period')} survived, ${t.died} died, ${plural(t.connections, 'connection')}`,
    consistent: t.consistent,
    matches: t.matches.map((m) => `${m.name} (${m.timeoutS} s)`),
    keepalive: null,
    caveat:
      lo !== null
        ? `every gap stays under the ${durationText(lo)} of idle that was survived`
        : `the timeout may be shorter than ${durationText(hi)}: verify with a longer capture or kad probe`,
  };
  if (!t.consistent) return advice;
  const r = t.recommendation;
  if (r) {
    const k = r.keepalive;
    advice.keepalive =
      `TCP keepalive time ${k.timeS} s, interval ${k.intervalS} s, ${k.probes} probes — ` +
      `sysctl net.ipv4.tcp_keepalive_time=${k.timeS} net.ipv4.tcp_keepalive_intvl=${k.intervalS} net.ipv4.tcp_keepalive_probes=${k.probes}, ` +
      `or per socket (TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT). Details and snippets: kad recommend --idle-timeout ${Math.floor(r.sizedForS)}s`;
  } else {
    advice.caveat = t.noRecommendationReason!;
  }
  return advice;
}

function renderAdvice(t: PathIdleTimeout, file: string | null): Markup {
  const a = pathAdvice(t);
  return h`<div class="advice">
<h3>Path to ${t.path}</h3>
${file ? h`<p class="file">seen in ${file}</p>` : ''}
<dl>
<dt>Idle timeout</dt><dd><strong>${a.bracket}</strong> <span class="muted">(${a.counts})</span></dd>
${a.consistent ? '' : h`<dt>Caution</dt><dd class="warn-text">inconsistent: an idle period longer than one that died was survived; more than one timeout, or not an idle timeout at all</dd>`}
${a.matches.length ? h`<dt>Matches the default of</dt><dd>${a.matches.join(', ')}</dd>` : ''}
${a.keepalive ? h`<dt>Recommendation</dt><dd>${a.keepalive}<br><span class="muted">${a.caveat}.</span></dd>` : h`<dt>Recommendation</dt><dd>${a.caveat}</dd>`}
</dl>
</div>`;
}

// ------------------------------------------------------------ connections

/** Connections that get a card and a timeline: the ones the text report calls problems, and every diagnosed one. */
export function timelineTargets(r: FileReport): number[] {
  const diagnosed = new Set(r.diagnoses.map((d) => d.conn));
  return r.connections.filter((c) => diagnosed.has(c.id) || isProblem(c)).map((c) => c.id);
}

/** Where the connection died: the packet that ended its fatal silence. */
function fatalFrame(d: ConnectionDiagnosis | undefined): number | null {
  const trigger = d?.resets.find((v) => v.attribution === 'middlebox')?.trigger ?? d?.resets[0]?.trigger;
  if (trigger && trigger.idleBeforeS >= 1) return trigger.frame;
  return d?.silentDrop?.firstFrame ?? null;
}

function renderEvidence(list: Evidence[]): Markup {
  if (!list.length) return h``;
  return h`<table class="evidence"><thead><tr><th>Signal</th><th>Strength</th><th>Points to</th><th>What it shows</th></tr></thead><tbody>
${list.map(
  (
    e,
  ) => h`<tr><td class="nowrap">${e.signal}</td><td><span class="strength ${e.strength}">${e.strength}</span></td><td>${e.pointsTo === 'unknown' ? h`<span class="muted">undecided</span>` : attributionBadge(e.pointsTo)}</td>
<td>${e.detail}${e.caveat ? h`<div class="caveat">Caveat: ${e.caveat}</div>` : ''}</td></tr>`,
)}
</tbody></table>`;
}

function renderReset(v: ResetVerdict): Markup {
  const trig = v.trigger
    ? `answered the ${v.claimedSender === 'client' ? 'server' : 'client'}'s ${v.trigger.kind.replace(/_/g, ' ')} (frame ${v.trigger.frame}) after ${durationText(v.trigger.delayS)}` +
      (v.trigger.idleBeforeS >= 1 ? `, which came after ${durationText(v.trigger.idleBeforeS)} of silence` : '')
    : 'answered nothing from the other side';
  return h`<div class="reset">
<p><strong>RST frame ${v.frame}</strong> at ${when(v.ts, false)}, ${v.dir === 'c2s' ? 'client → server' : 'server → client'}, claims to come from the ${v.claimedSender}: sent by ${attributionBadge(v.attribution)}${v.confidence ? `, confidence ${v.confidence.toFixed(2)}` : ''}; it ${trig}.</p>
${renderEvidence(v.evidence)}
</div>`;
}

function renderSetup(v: SetupVerdict): Markup {
  return h`<div class="setup">
<p><strong>Set-up: ${v.kind}</strong>, confidence ${v.confidence.toFixed(2)}: ${v.summary}.</p>
<ul>${v.evidence.map((e) => h`<li>${e}</li>`)}</ul>
</div>`;
}

/** Per path: SYN and SYN-ACK retransmissions and failed set-ups. */
function renderSetupPaths(files: readonly FileReport[], multi: boolean): Markup {
  const rows = files.flatMap((f) =>
    f.setupByPath.map(
      (p) =>
        h`<tr><td>${p.path}${multi ? h`<span class="file">${f.file}</span>` : ''}</td><td>${p.synRetransmissions}</td><td>${p.synAckRetransmissions}</td><td>${setupFailuresText(p.failures) || 'none'}</td></tr>`,
    ),
  );
  if (!rows.length) return h``;
  return h`<h2>Connection set-up</h2><table class="conns"><thead><tr><th>Path</th><th>SYN retrans.</th><th>SYN-ACK retrans.</th><th>Failed set-ups</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderSilentDrop(s: SilentDropVerdict): Markup {
  const kind =
    s.kind === 'black-hole'
      ? 'black hole (the path dropped them)'
      : s.kind === 'dead-peer'
        ? 'dead peer (they arrived, nobody answered)'
        : 'unanswered (black hole or dead peer: a capture at the other end would tell)';
  const what =
    [s.keepalives ? plural(s.keepalives, 'keepalive probe') : '', s.retransmissions ? plural(s.retransmissions, 'retransmission') : '']
      .filter(Boolean)
      .join(' and ') || 'packets';
  const end =
    s.end === 'gave-up'
      ? `the ${s.sender} gave up`
      : s.end === 'local-rst'
        ? `the ${s.sender} then reset the connection itself`
        : 'the capture ended first';
  return h`<div class="silent">
<p><strong>Silent drop</strong>: ${what} from the ${s.sender}, frames ${s.firstFrame}–${s.lastFrame} over ${durationText(s.spanS)}, after ${durationText(s.idleBeforeS)} of silence — ${kind}; ${end}.</p>
<ul>${s.evidence.map((e) => h`<li>${e}</li>`)}</ul>
</div>`;
}

function otherViews(r: FileReport, c: ConnectionReport, comparisons: CaptureComparison[]): string[] {
  const out: string[] = [];
  for (const cmp of comparisons) {
    const side = cmp.files.indexOf(r.file);
    if (side < 0) continue;
    const other = side === 0 ? 1 : 0;
    const pair = cmp.matched.find((p) => p[side] === c.id);
    if (pair) out.push(`#${pair[other]} in ${cmp.files[other]}`);
  }
  return out;
}

function renderCard(
  r: HtmlFileReport,
  c: ConnectionReport,
  tl: ConnectionTimeline | undefined,
  comparisons: CaptureComparison[],
  multi: boolean,
  /** What other captures said about this connection (a merged run tells it on this one card). */
  others: MergedFinding['alsoSeen'] = [],
): Markup {
  const d = r.diagnoses.find((x) => x.conn === c.id);
  const end = endText(c);
  const path = endpointText(c.server);
  const idle = r.idleTimeouts.find((t) => t.path === path && t.diedMinS !== null && t.consistent);
  const facts = [`started ${when(c.start)}`, `lasted ${durationText(c.durationS)}`, `longest silence ${durationText(c.longestIdleS)}`];
  if (c.handshakeRttS !== null) facts.push(handshakeRttText(c.handshakeRttS, r.arrivalTimestamps));
  for (const f of setupFacts(c)) facts.push(f);
  if (c.keepalives.sent || c.keepalives.answered) facts.push(`keepalives ${c.keepalives.sent} sent, ${c.keepalives.answered} answered`);
  const retrans = c.c2s.retransmissions + c.s2c.retransmissions;
  if (retrans) facts.push(plural(retrans, 'retransmission'));
  if (c.captureGaps) facts.push(`${plural(c.captureGaps, 'capture gap')} (segments not captured)`);
  if (c.duplicates) facts.push(`${plural(c.duplicates, 'duplicate frame')} (captured twice, counted once)`);
  if (c.midStream) facts.push('picked up mid-stream (roles guessed from ports)');
  const views = otherViews(r, c, comparisons);
  const label = `Timeline of connection #${c.id} ${endpointText(c.client)} to ${path}`;
  const svg = tl
    ? renderTimelineSvg(tl, {
        label,
        fatalFrame: fatalFrame(d),
        idleTimeout: idle ? { lowS: idle.survivedMaxS, highS: idle.diedMinS! } : null,
      })
    : null;
  return h`<section class="card">
<h3><span class="conn-id">#${c.id}</span> ${endpointText(c.client)} → ${path} <span class="end ${end.cls}">${end.text}</span></h3>
${multi ? h`<p class="file">${r.file}</p>` : ''}
<p class="verdict">${d ? d.verdict : 'No verdict: the connection ended abnormally or left probes unanswered, but nothing was diagnosed.'}</p>
${svg ? h`<figure>${raw(svg)}${tl && tl.omittedEvents ? h`<figcaption>${tl.omittedEvents} events in the middle of this connection are not drawn (the first and last are).</figcaption>` : ''}</figure>` : ''}
<p class="facts">${facts.join(' · ')}${views.length ? h`<br>Also seen as ${views.join(', ')}.` : ''}</p>
${d?.setup ? renderSetup(d.setup) : ''}
${d ? d.resets.map(renderReset) : ''}
${d?.silentDrop ? renderSilentDrop(d.silentDrop) : ''}
${others.length ? h`<ul class="others">${others.map((o) => h`<li>${o.file} (#${o.conn}) saw: ${o.verdict}</li>`)}</ul>` : ''}
${
  idle
    ? (() => {
        const a = pathAdvice(idle);
        return h`<p class="rec"><strong>Recommendation</strong> (path idle timeout ${a.bracket}${a.matches.length ? `, matches ${a.matches.join(', ')}` : ''}): ${a.keepalive ?? a.caveat}</p>`;
      })()
    : ''
}
</section>`;
}

// ------------------------------------------------------------ file summary and table

function renderSummary(r: FileReport): Markup {
  const counts = Object.entries(r.connectionCounts.byEnd).map(([k, n]) => `${n} ${k}`);
  const skipped = describeSkipped(r.skipped);
  const tunnels = tunnelTexts(r.tunnels);
  const overran = lengthBeyondFrameText(r.ipLengthBeyondFrame);
  return h`<dl class="summary">
<dt>Format</dt><dd>${r.format}${r.gzip ? ' (gzip)' : ''}, ${r.frames} frames, ${r.tcpPackets} TCP packets</dd>
<dt>Span</dt><dd>${r.firstTs ? `${when(r.firstTs)} → ${when(r.lastTs, false)}` : '—'}</dd>
<dt>Connections</dt><dd>${r.connectionCounts.total}${counts.length ? `: ${counts.join(', ')}` : ''}</dd>
${skipped.length ? h`<dt>Skipped</dt><dd>${skipped.join(', ')}</dd>` : ''}
${r.duplicateFrames ? h`<dt>Duplicates</dt><dd>${duplicatesText(r.duplicateFrames)}</dd>` : ''}
${r.arrivalTimestamps ? h`<dt>Timestamps</dt><dd>${ARRIVAL_STAMPS_NOTE}</dd>` : ''}
${tunnels.length ? h`<dt>Tunnels</dt><dd>${tunnels.join('; ')}</dd>` : ''}
${overran ? h`<dt>IP lengths</dt><dd>${overran}</dd>` : ''}
${r.error ? h`<dt>Incomplete</dt><dd class="warn-text">${r.error}</dd>` : ''}
</dl>`;
}

function renderTable(r: FileReport, problems: Set<number>): Markup {
  if (!r.connections.length) return h`<p class="muted">No TCP connections.</p>`;
  const rows = r.connections.slice(0, MAX_TABLE_ROWS);
  const left = r.connections.length - rows.length;
  return h`<table class="conns"><thead><tr><th>#</th><th>Client</th><th>Server</th><th>Start</th><th>Lasted</th><th>Longest silence</th><th>Keepalives (answered)</th><th>Retrans.</th><th>End</th></tr></thead><tbody>
${rows.map((c) => {
  const end = endText(c);
  return h`<tr class="${problems.has(c.id) ? 'problem' : ''}"><td>${c.id}</td><td>${endpointText(c.client)}</td><td>${endpointText(c.server)}</td><td class="nowrap">${when(c.start, false)}</td><td>${durationText(c.durationS)}</td><td>${durationText(c.longestIdleS)}</td><td>${c.keepalives.sent} (${c.keepalives.answered})</td><td>${c.c2s.retransmissions + c.s2c.retransmissions}</td><td><span class="end ${end.cls}">${end.text}</span></td></tr>`;
})}
</tbody></table>
${left > 0 ? h`<p class="muted">… ${plural(left, 'more connection')} not listed (kad analyze --json has them all; --conn, --port or --host narrow the report).</p>` : ''}`;
}

function renderComparison(c: CaptureComparison): Markup {
  const pairs = c.matched
    .slice(0, 20)
    .map(([a, b]) => `#${a} = #${b}`)
    .join(', ');
  const by =
    c.matchedBy === 'isn' ? 'initial sequence numbers (survives NAT)' : c.matchedBy === 'tuple' ? 'addresses and ports' : c.matchedBy;
  const unc = c.clockUncertaintyS !== null && Number.isFinite(c.clockUncertaintyS) ? ` ± ${durationText(c.clockUncertaintyS)}` : '';
  return h`<div class="comparison"><h3>${c.files[0]} ⇄ ${c.files[1]}</h3><dl>
<dt>Matched connections</dt><dd>${c.matched.length}, by ${by}: ${pairs}${c.matched.length > 20 ? ', …' : ''}</dd>
<dt>Clock offset</dt><dd>${c.clockOffsetS !== null ? `${durationText(c.clockOffsetS)}${unc} (second capture − first)` : 'unknown'}</dd>
<dt>NAT</dt><dd>${c.nat ? 'yes: addresses or ports differ between the two views' : 'not seen: both captures show the same addresses and ports'}</dd>
</dl></div>`;
}

// ------------------------------------------------------------ page

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#1f2933;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Liberation Sans",Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px 32px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 12px;padding-bottom:4px;border-bottom:2px solid #d9e2ec}
h3{font-size:16px;margin:0 0 8px}
p,li,dd,td{overflow-wrap:break-word}
.muted,.meta{color:#52606d}
.meta{margin:0;font-size:14px}
.headlines{list-style:none;padding:0;margin:0}
.headlines li{margin:0 0 8px;padding:10px 14px;border-left:5px solid #9b1c1c;background:#fdf3f3;font-size:16px;font-weight:600}
.headlines li.ok{border-left-color:#2f7d32;background:#f1f8f1}
.headlines .file{display:block;font-weight:400;font-size:13px;color:#52606d}
.card,.advice,.comparison{border:1px solid #d9e2ec;border-radius:6px;padding:16px 18px;margin:0 0 18px;break-inside:avoid}
.card h3{font-size:17px}
.conn-id{color:#52606d}
.file{margin:-4px 0 8px;color:#52606d;font-size:13px}
.verdict{font-size:15.5px;margin:0 0 10px;font-weight:500}
figure{margin:8px 0 10px}
figcaption{font-size:13px;color:#52606d}
svg.timeline{display:block;width:100%;height:auto}
.facts{font-size:14px;color:#3e4c59}
.end{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;margin-left:6px;vertical-align:2px;white-space:nowrap}
.end.bad{background:#fbe4e4;color:#9b1c1c}
.end.warn{background:#fdf1d6;color:#7a4f01}
.end.good{background:#e3f4e4;color:#1e5b21}
.end.neutral{background:#e9eef3;color:#3e4c59}
.badge{display:inline-block;color:#fff;font-size:12px;font-weight:700;padding:1px 8px;border-radius:10px;white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0 10px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e4e9f0}
th{background:#f5f7fa;font-weight:600}
.nowrap{white-space:nowrap}
table.evidence td:last-child{width:62%}
.caveat{color:#52606d;font-size:12.5px;margin-top:2px}
.strength{font-weight:600}
.strength.decisive,.strength.strong{color:#1f2933}
.strength.medium{color:#3e4c59}
.strength.weak{color:#7b8794;font-weight:400}
tr.problem td{background:#fff8f0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dt{font-weight:600;color:#3e4c59}
dd{margin:0}
.rec{background:#f5f7fa;border-radius:4px;padding:8px 12px;font-size:14px}
.warn-text{color:#7a4f01}
.reset p,.silent p,.setup p{margin:10px 0 4px}
footer{margin-top:32px;font-size:12px;color:#7b8794}
@media print{body{font-size:11pt}main{max-width:none;padding:0}h2{break-after:avoid}.card{border-color:#bbb}}
`;

/** The whole report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched. */
export function renderHtmlReport(report: HtmlReport): string {
  const files = report.files;
  const multi = files.length > 1;
  const firstTs = files.find((f) => f.firstTs)?.firstTs ?? null;

  // Captures of the same traffic conclude once (report.merged): one headline, one bracket per path, one card per connection.
  const merged = report.merged;
  const headlines: Markup[] = [];
  if (merged) for (const s of headlineSentences(merged)) headlines.push(h`<li>${s}</li>`);
  else
    for (const f of files)
      for (const s of headlineSentences(f)) headlines.push(h`<li>${s}${multi ? h`<span class="file">${f.file}</span>` : ''}</li>`);
  const advice = merged
    ? merged.idleTimeouts.map((t) => renderAdvice(t, null))
    : files.flatMap((f) => f.idleTimeouts.map((t) => renderAdvice(t, multi ? f.file : null)));
  /** "file\0conn" of every view of a finding that is told from another capture's card. */
  const toldElsewhere = new Set<string>();
  const alsoSeen = new Map<string, MergedFinding['alsoSeen']>();
  for (const m of merged?.findings ?? []) {
    for (const v of m.seenAs) if (v.file !== m.file) toldElsewhere.add(`${v.file}\u0000${v.conn}`);
    alsoSeen.set(`${m.file}\u0000${m.diagnosis.conn}`, m.alsoSeen);
  }

  const cards: Markup[] = [];
  for (const f of files) {
    const targets = timelineTargets(f).filter((id) => !toldElsewhere.has(`${f.file}\u0000${id}`));
    const byId = new Map(f.connections.map((c) => [c.id, c]));
    const tls = new Map((f.timelines ?? []).map((t) => [t.conn, t]));
    const carded = f.timelines ? targets.filter((id) => tls.has(id)) : targets.slice(0, MAX_TIMELINES);
    // A card's recommendation is its path's: the merged bracket when the captures concluded together.
    const cardFile = merged ? { ...f, idleTimeouts: merged.idleTimeouts } : f;
    for (const id of carded)
      cards.push(renderCard(cardFile, byId.get(id)!, tls.get(id), report.comparisons, multi, alsoSeen.get(`${f.file}\u0000${id}`) ?? []));
    const left = targets.length - carded.length;
    if (left > 0) {
      cards.push(
        h`<p class="muted">${plural(left, 'more problem connection')}${multi ? ` in ${f.file}` : ''} left out here (at most ${MAX_TIMELINES} timelines per capture); they are marked in the connection table below.</p>`,
      );
    }
  }

  const fileSections = files.map((f) => {
    const problems = new Set(timelineTargets(f));
    return h`<section class="capture"><h3>${f.file}</h3>${renderSummary(f)}${renderTable(f, problems)}</section>`;
  });

  const title = `keepalive-doctor report: ${files.map((f) => f.file).join(', ') || 'no capture'}`;
  return `<!DOCTYPE html>\n${
    h`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${report.tool} ${report.version}">
<title>${title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<main>
<header>
<h1>keepalive-doctor report</h1>
<p class="meta">${plural(files.length, 'capture')}: ${files.map((f) => f.file).join(', ')}. Times are ${utcOffset(firstTs)}; timelines count seconds from each connection's first packet.</p>
</header>
<h2>Findings</h2>
${headlines.length ? h`<ul class="headlines">${headlines}</ul>` : h`<ul class="headlines"><li class="ok">No connection was reset by a middlebox, reset by its peer or silently dropped.</li></ul>`}
${advice.length ? h`<h2>Idle timeout and recommendation</h2>${advice}` : ''}
${renderSetupPaths(files, multi)}
${cards.length ? h`<h2>Problem connections</h2>${cards}` : ''}
${report.comparisons.length ? h`<h2>Captures compared</h2>${report.comparisons.map(renderComparison)}` : ''}
<h2>Captures</h2>
${fileSections}
<footer>Generated by ${report.tool} ${report.version} (kad analyze --html). Every figure comes from the captures listed above; kad analyze --json has the same data.</footer>
</main>
</body>
</html>`.text
  }\n`;
}

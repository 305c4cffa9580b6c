import type { IdleTimeoutInference } from '../model/analysis-report.js';
import type { LiveSnapshot } from '../live/live-model.js';
import { durationText } from '../util/time-text.js';
import { givenText, givenTimeout, type StatedTimeout } from '../sockets/at-risk.js';
import { escapeTags, tag } from './format.js';

export type RunState = 'running' | 'paused' | 'ended';

export interface HeaderInput {
  title: string;
  snap: LiveSnapshot | null;
  state: RunState;
  /** Connections not yet over. */
  open: number;
  statedTimeoutS?: StatedTimeout;
  /** Sockets of this host, when read. */
  sockets: number | null;
  /** Connections at risk (src/sockets/at-risk.ts), of them sockets the capture does not show. */
  atRisk: { total: number; uncaptured: number };
  /** Listening sockets whose accept queue is nearly full (src/sockets/listeners.ts); null when not read. */
  listenersAtRisk?: number | null;
  /** Set when pausing only freezes the display (a live source cannot pause). */
  frozen: boolean;
  /** The line width: the idle-timeout line lists what fits and counts the rest. Default: no limit. */
  width?: number;
}

const UNKNOWN_LONG = 'unknown: none inferred yet (no connection has died of idleness); kad probe measures it';
const UNKNOWN_SHORT = 'unknown yet (kad probe measures it)';

/**
 * "idle timeout: a; b; c" within `width`: as many items as fit whole, then
 * "+N more" (an item is never cut mid-way: a bracket without its bound is
 * worse than none; each row's detail has its own).
 */
export function idleTimeoutLine(items: readonly string[], width = Infinity): string {
  const head = 'idle timeout: ';
  if (items.length === 0) return head + (head.length + UNKNOWN_LONG.length <= width ? UNKNOWN_LONG : UNKNOWN_SHORT);
  let line = head + items[0]!;
  if (items.length > 1 && `${line}; +${items.length - 1} more`.length > width)
    return `${head}${items.length} paths known (each row's detail has its own)`;
  let shown = 1;
  for (; shown < items.length; shown++) {
    const more = `; +${items.length - shown - 1} more`;
    const next = `${line}; ${items[shown]!}`;
    if (next.length + (shown + 1 < items.length ? more.length : 0) > width) break;
    line = next;
  }
  return shown < items.length ? `${line}; +${items.length - shown} more` : line;
}

export const RESET_CAUSES = ['middlebox', 'peer', 'local-stack', 'unknown'] as const;

/** "≤ 5.00 s", "3.00 s < T ≤ 5.00 s": the bracket an inference proves. */
export function bracketText(t: IdleTimeoutInference): string {
  if (t.diedMinS === null) return t.survivedMaxS !== null ? `T > ${durationText(t.survivedMaxS)}` : 'T unknown';
  const hi = durationText(t.diedMinS);
  return t.survivedMaxS !== null ? `${durationText(t.survivedMaxS)} < T ≤ ${hi}` : `T ≤ ${hi}`;
}

function stateTag(s: RunState, frozen: boolean): string {
  if (s === 'running') return tag('green', '[running]');
  if (s === 'paused') return tag('yellow', frozen ? '[paused: display frozen, capture continues]' : '[paused]');
  return tag('cyan', '[ended]');
}

/** Three lines: source and state; counts; idle timeouts per path. */
export function headerLines(h: HeaderInput): string[] {
  const s = h.snap;
  const line1 = `{bold}kad{/bold} ${escapeTags(h.title)}  ${stateTag(h.state, h.frozen)}`;
  if (!s) return [line1, 'waiting for packets…', ''];
  const drops =
    s.sourceDrops !== null ? `  drops ${s.sourceDrops}` : s.sourceMissedAtMost !== null ? `  missed ≤ ${s.sourceMissedAtMost}` : '';
  const resets = RESET_CAUSES.map((c) => {
    const n = s.resetsBy[c] ?? 0;
    const text = `${c} ${n}`;
    if (n === 0) return text;
    return tag(c === 'middlebox' ? 'red' : c === 'unknown' ? 'yellow' : 'green', text);
  }).join('  ');
  const uncaptured = h.atRisk.uncaptured ? ` (${h.atRisk.uncaptured} not in the capture)` : '';
  const risky = `at risk ${h.atRisk.total}${uncaptured}`;
  const socks = h.sockets !== null ? `  sockets ${h.sockets}` : '';
  const lr = h.listenersAtRisk ?? null;
  const listeners = lr === null ? '' : `  ${lr ? tag('red', `listeners at risk ${lr}`) : 'listeners ok'}`;
  // Most telling first: a narrow terminal cuts the end of the line.
  const line2 =
    `connections ${s.connections.length} (${h.open} open)  ${h.atRisk.total ? tag('yellow', risky) : risky}${socks}${listeners}  ` +
    `resets: ${resets}  packets ${s.packets} (${Math.round(s.packetsPerSec)}/s)  gaps ${s.captureGaps}${drops}`;
  const paths = s.idleTimeouts.map((t) => `${escapeTags(t.path)} ${bracketText(t)} (${t.died} died, ${t.survived} survived)`);
  const given = givenTimeout(h.statedTimeoutS);
  const stated = given !== null ? [`given ${givenText(given)}`] : [];
  return [line1, line2, idleTimeoutLine([...stated, ...paths], h.width)];
}

import type { ResetVerdict, SetupVerdict, SilentDropVerdict } from '../model/analysis-report.js';
import { durationText, wallClockText } from '../util/time-text.js';
import { escapeTags, tag } from './format.js';
import { attributionColour } from './timeline.js';
import type { CaptureMatch } from '../diagnose/kernel-evidence.js';
import type { LoggedKernelEvent } from '../kernel/kernel-log.js';
import { kernelNote } from '../kernel/kernel-verdict.js';
import { endpointText } from '../util/ip-text.js';

export function clockText(epochS: number): string {
  const sec = Math.floor(epochS);
  return wallClockText(sec, Math.round((epochS - sec) * 1e9), 3, false);
}

function epochOf(ts: string): number {
  return Number(ts);
}

export function resetLine(v: ResetVerdict): string {
  const who = tag(attributionColour(v.attribution), v.attribution);
  const conf = v.confidence ? `, confidence ${v.confidence.toFixed(2)}` : '';
  const trig = v.trigger
    ? `; answered the ${v.trigger.kind.replace('_', ' ')} in frame ${v.trigger.frame}${v.trigger.idleBeforeS >= 0.5 ? ` after ${durationText(v.trigger.idleBeforeS)} idle` : ''}`
    : '';
  return `${clockText(epochOf(v.ts))} #${v.conn} RST frame ${v.frame} (claims the ${v.claimedSender}): ${who}${conf}${escapeTags(trig)}`;
}

export function silentDropLine(d: SilentDropVerdict, atEpochS: number): string {
  const what = [d.keepalives ? `${d.keepalives} keepalives` : '', d.retransmissions ? `${d.retransmissions} retransmissions` : '']
    .filter(Boolean)
    .join(' and ');
  const end = d.end === 'gave-up' ? 'it gave up' : d.end === 'local-rst' ? 'it sent its own RST' : 'the capture ended first';
  return (
    `${clockText(atEpochS)} #${d.conn} ${tag('red', `silent drop (${d.kind})`)}: the ${d.sender}'s ${what || 'packets'} went unanswered ` +
    `after ${durationText(d.idleBeforeS)} idle (frames ${d.firstFrame}–${d.lastFrame}); ${end}`
  );
}

export function setupLine(v: SetupVerdict, atEpochS: number): string {
  return `${clockText(atEpochS)} #${v.conn} ${tag('red', `set-up: ${v.kind}`)} (confidence ${v.confidence.toFixed(2)}): ${escapeTags(v.summary)}`;
}

export function infoLine(atEpochS: number | null, text: string, colour: Parameters<typeof tag>[0] = null): string {
  return `${atEpochS === null ? '' : `${clockText(atEpochS)} `}${tag(colour, escapeTags(text))}`;
}

/** The newest lines, bounded: a long-running live view must not grow without limit. */
export class LogLines {
  private readonly lines: string[] = [];
  constructor(private readonly max = 500) {}

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** The last `n` lines, oldest first. */
  tail(n: number): string[] {
    return n <= 0 ? [] : this.lines.slice(-n);
  }

  get length(): number {
    return this.lines.length;
  }
}

/**
 * A kernel event (kad live --kernel) as an event-log line: when, the
 * connection when the capture has it, the socket's owner, and what the
 * event says; null for the kinds with nothing to say (state changes,
 * retransmissions) and for other namespaces' sockets.
 */
export function kernelLine(ev: LoggedKernelEvent, match: CaptureMatch | null): string | null {
  if (ev.netns !== 'this') return null;
  const note = kernelNote(ev, match ?? { conn: null, rstFrame: null });
  if (note === null) return null;
  const conn = match?.conn != null ? `#${match.conn} ` : '';
  const owner = ev.socket?.process ? ` ${ev.socket.process}[${ev.socket.pid}]` : '';
  const colour = ev.kind === 'error' ? 'red' : 'magenta';
  const where = `${endpointText(ev.local)} ↔ ${endpointText(ev.remote)}${owner}`;
  return `${clockText(ev.wallS)} ${conn}${tag(colour, 'kernel')} ${escapeTags(`${where}: ${note.verdict}`)}`;
}

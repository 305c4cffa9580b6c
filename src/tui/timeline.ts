import type { ResetAttribution } from '../model/analysis-report.js';
import {
  K_ACK,
  K_DATA,
  K_FIN,
  K_KEEPALIVE,
  K_KEEPALIVE_ACK,
  K_RETRANSMISSION,
  K_RST,
  K_SYN,
  K_SYNACK,
  K_ZERO_WINDOW_PROBE,
} from '../track/packet-kind.js';
import { durationText } from '../util/time-text.js';

/** Read-only view of a connection's recent packets (EventRing satisfies it). */
export interface TimelineEvents {
  readonly size: number;
  slot(k: number): number;
  readonly time: ArrayLike<number>;
  readonly kind: ArrayLike<number>;
  readonly dir: ArrayLike<number>;
  readonly frame: ArrayLike<number>;
}

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'magenta' | 'blue' | 'gray';

export interface TimelineOptions {
  /** Time window in seconds (any consistent base) and its width in characters. */
  start: number;
  end: number;
  width: number;
  /** The connection existed from..until: empty buckets inside are drawn as idle. */
  aliveFrom: number;
  aliveUntil: number;
  /** Where the inferred idle timeout expires, measured from the last activity. */
  timeoutAt?: number | null;
  now?: number | null;
  /** Who really sent the RST in this frame, once diagnosed. */
  attribution?: (frame: number) => ResetAttribution | null;
}

export interface TimelineRender {
  /** One character per bucket: packets from the client, then from the server. */
  c2s: string;
  s2c: string;
  /** 'T' at the idle-timeout deadline, '|' at now. */
  marker: string;
  axis: string;
  /** Colour per character of c2s / s2c / marker (null: default). */
  colours: [Array<Colour | null>, Array<Colour | null>, Array<Colour | null>];
}

export const IDLE_GLYPH = '-';

const GLYPH: Record<number, string> = {
  [K_SYN]: 'S',
  [K_SYNACK]: 'S',
  [K_DATA]: 'd',
  [K_ACK]: '.',
  [K_KEEPALIVE]: 'K',
  [K_KEEPALIVE_ACK]: 'k',
  [K_ZERO_WINDOW_PROBE]: 'r',
  [K_RETRANSMISSION]: 'r',
  [K_FIN]: 'F',
  [K_RST]: 'R',
};

// When several packets share a bucket the rarest, most telling one is drawn.
const PRIORITY: Record<number, number> = {
  [K_ACK]: 1,
  [K_DATA]: 2,
  [K_RETRANSMISSION]: 3,
  [K_ZERO_WINDOW_PROBE]: 3,
  [K_KEEPALIVE_ACK]: 4,
  [K_KEEPALIVE]: 5,
  [K_FIN]: 6,
  [K_SYNACK]: 7,
  [K_SYN]: 7,
  [K_RST]: 8,
};

const KIND_COLOUR: Record<number, Colour | null> = {
  [K_SYN]: 'cyan',
  [K_SYNACK]: 'cyan',
  [K_KEEPALIVE]: 'magenta',
  [K_KEEPALIVE_ACK]: 'blue',
  [K_FIN]: 'cyan',
  [K_RETRANSMISSION]: 'yellow',
  [K_ZERO_WINDOW_PROBE]: 'yellow',
};

export function attributionColour(a: ResetAttribution | null): Colour {
  if (a === 'middlebox') return 'red';
  if (a === 'peer' || a === 'local-stack') return 'green';
  return 'yellow';
}

/** Glyphs and their meaning, in legend order. */
export const LEGEND: ReadonlyArray<readonly [string, string]> = [
  ['S', 'syn'],
  ['d', 'data'],
  ['K', 'keepalive probe'],
  ['k', 'keepalive ack'],
  ['.', 'ack'],
  ['F', 'fin'],
  ['r', 'retransmit/zwp'],
  ['R', 'rst (red middlebox, green peer/local-stack, yellow unknown)'],
  [IDLE_GLYPH, 'idle'],
  ['T', 'idle timeout from last activity'],
  ['|', 'now'],
];

/** The legend wrapped to `width`, items never split. */
export function legendLines(width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [g, text] of LEGEND) {
    const item = `${g} ${text}`;
    if (line !== '' && line.length + 2 + item.length > width) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? item : `${line}  ${item}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * Draws a connection's packets on a time axis, one character per bucket of
 * (end - start) / width seconds. Pure: the TUI and the tests call it alike.
 */
export function renderTimeline(events: TimelineEvents, o: TimelineOptions): TimelineRender {
  const width = Math.max(1, Math.floor(o.width));
  const span = o.end > o.start ? o.end - o.start : 1e-3;
  const bucket = (t: number): number => Math.min(width - 1, Math.max(0, Math.floor(((t - o.start) / span) * width)));
  const inWindow = (t: number): boolean => t >= o.start && t <= o.start + span;

  const rows = [new Array<string>(width).fill(' '), new Array<string>(width).fill(' ')];
  const prio = [new Uint8Array(width), new Uint8Array(width)];
  const colours: TimelineRender['colours'] = [
    new Array<Colour | null>(width).fill(null),
    new Array<Colour | null>(width).fill(null),
    new Array<Colour | null>(width).fill(null),
  ];
  for (let k = 0; k < events.size; k++) {
    const i = events.slot(k);
    const t = events.time[i]!;
    if (!inWindow(t)) continue;
    const kind = events.kind[i]!;
    const d = events.dir[i] === 0 ? 0 : 1;
    const b = bucket(t);
    const p = PRIORITY[kind] ?? 0;
    if (p <= prio[d]![b]!) continue;
    prio[d]![b] = p;
    rows[d]![b] = GLYPH[kind] ?? '?';
    colours[d]![b] = kind === K_RST ? attributionColour(o.attribution?.(events.frame[i]!) ?? null) : (KIND_COLOUR[kind] ?? null);
  }

  // Idle: the connection existed but this side sent nothing in the bucket.
  if (o.aliveUntil >= o.start && o.aliveFrom <= o.start + span) {
    const from = bucket(Math.max(o.aliveFrom, o.start));
    const to = bucket(Math.min(o.aliveUntil, o.start + span));
    for (let d = 0; d < 2; d++) {
      for (let b = from; b <= to; b++) {
        if (prio[d]![b] !== 0) continue;
        rows[d]![b] = IDLE_GLYPH;
        colours[d]![b] = 'gray';
      }
    }
  }

  const marker = new Array<string>(width).fill(' ');
  if (o.now != null && inWindow(o.now)) marker[bucket(o.now)] = '|';
  if (o.timeoutAt != null && inWindow(o.timeoutAt)) {
    const b = bucket(o.timeoutAt);
    marker[b] = 'T';
    colours[2][b] = 'yellow';
  }

  return { c2s: rows[0]!.join(''), s2c: rows[1]!.join(''), marker: marker.join(''), axis: axisLine(span, width), colours };
}

/**
 * The window zoomed in `zoom` steps of 2×, keeping its end: the end is where
 * the story is (the RST, now, the T marker ahead of now).
 */
export function zoomWindow(start: number, end: number, zoom: number): { start: number; end: number } {
  const span = (end - start) / 2 ** Math.max(0, zoom);
  return { start: end - span, end };
}

const NICE = [1, 2, 5];
// Past a minute, steps people count in: minutes, quarter hours, hours, days.
const CLOCK_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** Tick step (s) so that labels land about every `every` characters. */
export function tickStep(span: number, width: number, every = 12): number {
  const raw = (span / width) * every;
  if (raw > 30 && raw <= 86400) return CLOCK_STEPS.find((s) => s >= raw)!;
  const unit = raw > 86400 ? 86400 : 1;
  const base = 10 ** Math.floor(Math.log10(raw / unit));
  for (const m of NICE) if (m * base * unit >= raw) return m * base * unit;
  return 10 * base * unit;
}

/** Ticks '+' with offsets from the window start: "+0s        +1s        +2s". */
export function axisLine(span: number, width: number): string {
  const out = new Array<string>(width).fill(' ');
  const step = tickStep(span, width);
  for (let k = 0; ; k++) {
    const t = k * step;
    const col = Math.floor((t / span) * width);
    if (col >= width) break;
    const label = `+${durationText(t, 'compact')}`;
    // A label that would run into the next tick or off the edge is dropped, the tick is kept.
    const fits = col + label.length <= width && out.slice(col, col + label.length).every((c) => c === ' ');
    if (fits) for (let j = 0; j < label.length; j++) out[col + j] = label[j]!;
    else if (out[col] === ' ') out[col] = '+';
  }
  return out.join('');
}

import type { ConnectionTimeline, TimelineEvent } from '../report/connection-timeline.js';
import type { PacketKind, ResetAttribution } from '../model/analysis-report.js';
import { durationText } from '../util/time-text.js';
import { maxOf } from '../util/extremes.js';

/** Text and attribute values from a capture (file names, verdicts) may hold anything; this is the only way they reach markup. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Attribution colours. The middlebox red is used for nothing else on the
 * page, so a screenshot can tell that a forged RST was drawn.
 */
export const ATTRIBUTION_COLOURS: Readonly<Record<ResetAttribution, string>> = {
  middlebox: '#d62728',
  peer: '#2ca02c',
  'local-stack': '#2ca02c',
  unknown: '#e6a100',
};

export interface TimelineContext {
  /** Idle-timeout bracket of the connection's path: low < T ≤ high (s). */
  idleTimeout?: { lowS: number | null; highS: number } | null;
  /** Frame of the packet that ended the idle gap the connection died of; the timeout is measured from that gap's start. */
  fatalFrame?: number | null;
  /** Short description for screen readers and the SVG title. */
  label: string;
}

// Geometry in viewBox units; the SVG scales to the page width.
const W = 1000;
const X0 = 132;
const X1 = 982;
const LANE_C2S = { top: 50, bottom: 80 };
const LANE_S2C = { top: 108, bottom: 138 };
const AXIS_Y = 166;
const LEGEND_Y = 206;
/** A white outline keeps labels legible over lanes, markers and shading. */
const HALO = 'stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"';
const GAP_FILL = '#edf1f6';
const FATAL_GAP_FILL = '#d3dce8';
const INK = '#1f2933';
const MUTED = '#52606d';

interface KindStyle {
  colour: string;
  legend: string;
}

const KIND_STYLE: Record<PacketKind, KindStyle> = {
  syn: { colour: '#34495e', legend: 'SYN (start)' },
  synack: { colour: '#34495e', legend: 'SYN-ACK (start)' },
  data: { colour: '#1f6fb5', legend: 'data' },
  ack: { colour: '#7b8794', legend: 'ACK / answer' },
  keepalive: { colour: '#15457a', legend: 'keepalive probe' },
  keepalive_ack: { colour: '#15457a', legend: 'keepalive ACK' },
  zero_window_probe: { colour: '#0f8a8f', legend: 'zero-window probe' },
  retransmission: { colour: '#8e44ad', legend: 'retransmission' },
  fin: { colour: '#1f2933', legend: 'FIN' },
  rst: { colour: '#e6a100', legend: 'RST' },
  // Never drawn: a copy changes nothing, so it is not in the event log the timeline comes from.
  duplicate: { colour: '#7b8794', legend: 'duplicate frame' },
};

const ATTRIBUTION_LEGEND: Record<ResetAttribution, string> = {
  middlebox: 'RST forged by a middlebox',
  peer: 'RST from the peer',
  'local-stack': 'RST from the local stack',
  unknown: 'RST of unknown origin',
};

/** 1, 2 or 5 × 10^k: axis steps a reader can add up. */
function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function num(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** The shape of one packet kind centred on (x, y); RSTs are drawn separately. */
function marker(kind: PacketKind, x: number, y: number, colour: string): string {
  const c = `fill="${colour}" stroke="${colour}"`;
  switch (kind) {
    case 'syn':
    case 'synack':
      return `<path d="M${num(x)} ${y + 11}V${y - 11}l9 4.5-9 4.5" fill="${colour}" stroke="${colour}" stroke-width="1.6"/>`;
    case 'keepalive':
      return `<path d="M${num(x)} ${y - 8}l7 8-7 8-7-8z" ${c} stroke-width="1"/>`;
    case 'keepalive_ack':
      return `<path d="M${num(x)} ${y - 7}l6 7-6 7-6-7z" fill="#fff" stroke="${colour}" stroke-width="2"/>`;
    case 'retransmission':
      return `<path d="M${num(x)} ${y - 8}l7 13h-14z" ${c} stroke-width="1"/>`;
    case 'zero_window_probe':
      return `<rect x="${num(x - 5)}" y="${y - 5}" width="10" height="10" fill="#fff" stroke="${colour}" stroke-width="2"/>`;
    case 'fin':
      return `<rect x="${num(x - 6)}" y="${y - 6}" width="12" height="12" ${c}/>`;
    case 'ack':
      return `<circle cx="${num(x)}" cy="${y}" r="4" ${c}/>`;
    default:
      return `<circle cx="${num(x)}" cy="${y}" r="6" ${c}/>`;
  }
}

function rstMarker(x: number, top: number, bottom: number, colour: string): string {
  return (
    `<rect x="${num(x - 2.5)}" y="${top - 4}" width="5" height="${bottom - top + 8}" fill="${colour}"/>` +
    `<circle cx="${num(x)}" cy="${top - 4}" r="5" fill="${colour}"/>`
  );
}

function dirText(ev: TimelineEvent): string {
  return ev.dir === 'c2s' ? 'client → server' : 'server → client';
}

function eventTitle(ev: TimelineEvent): string {
  const parts = [`frame ${ev.frame}`, ev.kind.replace(/_/g, ' '), dirText(ev), `at +${ev.atS.toFixed(3)} s`];
  if (ev.idleBeforeS >= 1) parts.push(`after ${durationText(ev.idleBeforeS)} of silence`);
  if (ev.attribution) parts.push(`sent by: ${ev.attribution}`);
  return parts.join(', ');
}

/**
 * The silence the idle timeout is measured from: the one the connection died
 * of when the diagnosis names it, else the last long one (not the short
 * silences between unanswered probes that follow it).
 */
function keyGap(t: ConnectionTimeline, fatalFrame: number | null | undefined): { startS: number; endS: number; fatal: boolean } | null {
  const ev = fatalFrame != null ? t.events.find((e) => e.frame === fatalFrame && e.idleBeforeS >= 1) : undefined;
  if (ev) return { startS: ev.atS - ev.idleBeforeS, endS: ev.atS, fatal: true };
  const gaps = t.events.filter((e) => e.idleBeforeS >= 1);
  const longest = maxOf(gaps, (e) => e.idleBeforeS, 0);
  const last = [...gaps].reverse().find((e) => e.idleBeforeS >= longest / 2);
  return last ? { startS: last.atS - last.idleBeforeS, endS: last.atS, fatal: false } : null;
}

interface LegendItem {
  swatch: string;
  text: string;
}

function legend(items: LegendItem[], y0: number): { svg: string; height: number } {
  let x = X0 - 120;
  let y = y0;
  const out: string[] = [];
  for (const it of items) {
    const w = 30 + it.text.length * 6.4;
    if (x + w > W - 8) {
      x = X0 - 120;
      y += 22;
    }
    out.push(
      `<g transform="translate(${num(x)} ${y})">${it.swatch}<text x="24" y="4.5" font-size="12" fill="${INK}">${esc(it.text)}</text></g>`,
    );
    x += w + 16;
  }
  return { svg: out.join(''), height: y - y0 + 22 };
}

/**
 * One connection on a time axis: a lane per direction, shaded silences with
 * their length, RSTs coloured by who really sent them, and the inferred idle
 * timeout measured from the start of the silence that killed the flow.
 */
export function renderTimelineSvg(t: ConnectionTimeline, ctx: TimelineContext): string {
  const gap = keyGap(t, ctx.fatalFrame);
  const timeout = ctx.idleTimeout && gap ? ctx.idleTimeout : null;
  const timeoutAt = timeout && gap ? gap.startS + timeout.highS : 0;
  const span = Math.max(t.durationS, timeoutAt, 1e-3) * 1.03;
  const step = niceStep(span, 8);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const x = (s: number) => X0 + (Math.max(0, s) / span) * (X1 - X0);
  const parts: string[] = [];

  // Silences first, so everything else is drawn over them.
  for (const ev of t.events) {
    if (ev.idleBeforeS < 1) continue;
    const fatal = gap !== null && ev.atS === gap.endS;
    const a = x(ev.atS - ev.idleBeforeS);
    // Back-to-back silences (unanswered probes) stay visibly separate.
    const b = Math.max(a + 1, x(ev.atS) - 1.5);
    parts.push(
      `<rect class="idle-gap" x="${num(a)}" y="${LANE_C2S.top - 4}" width="${num(b - a)}" height="${LANE_S2C.bottom - LANE_C2S.top + 8}" fill="${fatal ? FATAL_GAP_FILL : GAP_FILL}"><title>${esc(`${durationText(ev.idleBeforeS)} of silence before frame ${ev.frame}`)}</title></rect>`,
    );
    const label = `${durationText(ev.idleBeforeS)} idle`;
    if (b - a >= label.length * 7 + 8) {
      parts.push(
        `<text x="${num((a + b) / 2)}" y="${(LANE_C2S.bottom + LANE_S2C.top) / 2 + 5}" text-anchor="middle" font-size="13" font-weight="700" fill="${INK}">${esc(label)}</text>`,
      );
    }
  }
  if (timeout && timeout.lowS !== null && gap) {
    const a = x(gap.startS + timeout.lowS);
    parts.push(
      `<rect x="${num(a)}" y="${LANE_C2S.top - 4}" width="${num(Math.max(1, x(timeoutAt) - a))}" height="${LANE_S2C.bottom - LANE_C2S.top + 8}" fill="#f3e8ff" opacity="0.8"/>`,
    );
  }

  // Lanes: the connection's lifetime in each direction.
  for (const [lane, name] of [
    [LANE_C2S, 'client → server'],
    [LANE_S2C, 'server → client'],
  ] as const) {
    const mid = (lane.top + lane.bottom) / 2;
    parts.push(`<text x="${X0 - 12}" y="${mid + 4}" text-anchor="end" font-size="12" fill="${INK}">${name}</text>`);
    parts.push(`<line x1="${X0}" y1="${mid}" x2="${num(x(t.durationS))}" y2="${mid}" stroke="#9aa5b1" stroke-width="2"/>`);
  }

  // Axis in seconds since the connection's first packet.
  parts.push(`<line x1="${X0}" y1="${AXIS_Y}" x2="${X1}" y2="${AXIS_Y}" stroke="${INK}" stroke-width="1"/>`);
  for (let v = 0; v <= span + 1e-12; v += step) {
    const px = x(v);
    parts.push(`<line x1="${num(px)}" y1="${AXIS_Y}" x2="${num(px)}" y2="${AXIS_Y + 5}" stroke="${INK}"/>`);
    parts.push(
      `<text x="${num(px)}" y="${AXIS_Y + 18}" text-anchor="middle" font-size="11" fill="${MUTED}">${v.toFixed(decimals)} s</text>`,
    );
  }
  parts.push(`<text x="${X0 - 24}" y="${AXIS_Y + 18}" text-anchor="end" font-size="11" fill="${MUTED}">time since start</text>`);

  if (timeout && gap) {
    const xt = x(timeoutAt);
    const xs = x(gap.startS);
    const bound =
      timeout.lowS !== null ? `${durationText(timeout.lowS)} < T ≤ ${durationText(timeout.highS)}` : `T ≤ ${durationText(timeout.highS)}`;
    const label = `inferred idle timeout ${bound}, from the start of the last silence`;
    parts.push(
      `<g class="idle-timeout"><line x1="${num(xs)}" y1="24" x2="${num(xt)}" y2="24" stroke="${INK}" stroke-width="1.2"/><line x1="${num(xs)}" y1="18" x2="${num(xs)}" y2="30" stroke="${INK}" stroke-width="1.2"/>`,
    );
    parts.push(
      `<line x1="${num(xt)}" y1="14" x2="${num(xt)}" y2="${LANE_S2C.bottom + 6}" stroke="${INK}" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    const right = xt > (X0 + X1) / 2;
    parts.push(
      `<text x="${num(right ? xt - 6 : xt + 6)}" y="14" text-anchor="${right ? 'end' : 'start'}" font-size="12" font-weight="600" fill="${INK}" ${HALO}>${esc(label)}</text></g>`,
    );
  }

  const kinds = new Set<PacketKind>();
  const attributions = new Set<ResetAttribution>();
  for (const ev of t.events) {
    const lane = ev.dir === 'c2s' ? LANE_C2S : LANE_S2C;
    const mid = (lane.top + lane.bottom) / 2;
    const px = x(ev.atS);
    const title = `<title>${esc(eventTitle(ev))}</title>`;
    if (ev.kind === 'rst') {
      const a = ev.attribution ?? 'unknown';
      attributions.add(a);
      const colour = ATTRIBUTION_COLOURS[a];
      const text = `RST · ${a === 'local-stack' ? 'local stack' : a}`;
      const right = px > X1 - 140;
      // Outside the lane, so it never hides the probes and answers around the RST.
      const ty = ev.dir === 'c2s' ? lane.top - 9 : lane.bottom + 19;
      parts.push(
        `<g class="event rst" data-kind="rst" data-attribution="${esc(a)}" data-frame="${ev.frame}">${title}${rstMarker(px, lane.top, lane.bottom, colour)}` +
          `<text x="${num(right ? px - 9 : px + 9)}" y="${ty}" text-anchor="${right ? 'end' : 'start'}" font-size="13" font-weight="700" fill="${colour}" ${HALO}>${esc(text)}</text></g>`,
      );
    } else {
      kinds.add(ev.kind);
      parts.push(
        `<g class="event" data-kind="${ev.kind}" data-frame="${ev.frame}">${title}${marker(ev.kind, px, mid, KIND_STYLE[ev.kind].colour)}</g>`,
      );
    }
  }

  const items: LegendItem[] = [];
  for (const k of Object.keys(KIND_STYLE) as PacketKind[]) {
    if (k !== 'rst' && kinds.has(k)) items.push({ swatch: marker(k, 10, 0, KIND_STYLE[k].colour), text: KIND_STYLE[k].legend });
  }
  for (const a of Object.keys(ATTRIBUTION_COLOURS) as ResetAttribution[]) {
    if (attributions.has(a)) items.push({ swatch: rstMarker(10, -4, 6, ATTRIBUTION_COLOURS[a]), text: ATTRIBUTION_LEGEND[a] });
  }
  if (gap)
    items.push({
      swatch: `<rect x="0" y="-7" width="20" height="14" fill="${FATAL_GAP_FILL}"/>`,
      text: gap.fatal ? 'silence it died of' : 'last long silence',
    });
  if (t.events.some((e) => e.idleBeforeS >= 1 && e.atS !== gap?.endS))
    items.push({ swatch: `<rect x="0" y="-7" width="20" height="14" fill="${GAP_FILL}"/>`, text: 'silence ≥ 1 s' });
  if (timeout) {
    items.push({
      swatch: `<line x1="10" y1="-9" x2="10" y2="9" stroke="${INK}" stroke-width="2" stroke-dasharray="4 3"/>`,
      text: 'inferred idle timeout',
    });
    if (timeout.lowS !== null)
      items.push({ swatch: `<rect x="0" y="-7" width="20" height="14" fill="#f3e8ff"/>`, text: 'timeout bracket' });
  }
  const leg = legend(items, LEGEND_Y);
  const height = LEGEND_Y + leg.height;
  return (
    `<svg class="timeline" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${esc(ctx.label)}" font-family="inherit">` +
    `<title>${esc(ctx.label)}</title>${parts.join('')}${leg.svg}</svg>`
  );
}

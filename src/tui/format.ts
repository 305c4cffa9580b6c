import type { Style } from '../render/style.js';
import type { Colour } from './timeline.js';

/** blessed parses {…} as tags: text that is not ours must have its braces escaped. */
export function escapeTags(s: string): string {
  return s.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

export function tag(colour: Colour | null, s: string): string {
  if (colour === null) return s;
  const name = colour === 'gray' ? 'grey' : colour;
  return `{${name}-fg}${s}{/${name}-fg}`;
}

/** A plain string coloured character by character, one tag per run of equal colour. */
export function colourRuns(text: string, colours: ReadonlyArray<Colour | null>): string {
  let out = '';
  let run = '';
  let cur: Colour | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = colours[i] ?? null;
    if (c !== cur && run !== '') {
      out += tag(cur, escapeTags(run));
      run = '';
    }
    cur = c;
    run += text[i];
  }
  if (run !== '') out += tag(cur, escapeTags(run));
  return out;
}

/** The report renderers' Style, producing blessed tags instead of ANSI escapes. */
export const TAG_STYLE: Style = {
  bold: (s) => `{bold}${s}{/bold}`,
  dim: (s) => `{grey-fg}${s}{/grey-fg}`,
  red: (s) => tag('red', s),
  yellow: (s) => tag('yellow', s),
  green: (s) => tag('green', s),
  cyan: (s) => tag('cyan', s),
};

export function fitEnd(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s.padEnd(width);
  return width === 1 ? '…' : `${s.slice(0, width - 1)}…`;
}

/**
 * Epoch text ("1763896634.471203000") to seconds after the tracker's time
 * base, exactly: the integer parts are subtracted before any rounding.
 */
export function relSeconds(epoch: string, baseSec: number, baseNsec: number): number {
  const dot = epoch.indexOf('.');
  const sec = Number(dot < 0 ? epoch : epoch.slice(0, dot));
  const ns =
    dot < 0
      ? 0
      : Number(
          epoch
            .slice(dot + 1)
            .padEnd(9, '0')
            .slice(0, 9),
        );
  return sec - baseSec + (ns - baseNsec) / 1e9;
}

import { durationText } from '../util/time-text.js';
import { CLOSED_FOLD_AFTER_S } from './closed-group.js';
import { SORT_MODES, type SortMode } from './conn-rows.js';

/** What the keyboard controls; the view is redrawn from it after every key. */
export interface UiState {
  selectedId: number | null;
  sort: SortMode;
  filter: string;
  /** Non-null while the user types a filter after '/'. */
  filterDraft: string | null;
  detail: boolean;
  /** First line of the detail shown (the app clamps it to the text). */
  detailTop: number;
  help: boolean;
  paused: boolean;
  /** Timeline zoom: the window shows the last 1/2^zoom of the connection's span. */
  zoom: number;
  /** The closed group unfolded. */
  showClosed: boolean;
}

export function initialUiState(): UiState {
  return {
    selectedId: null,
    sort: 'risk',
    filter: '',
    filterDraft: null,
    detail: false,
    detailTop: 0,
    help: false,
    paused: false,
    zoom: 0,
    showClosed: false,
  };
}

/**
 * blessed's keypress arguments, reduced to what matters here. blessed reports
 * a carriage return twice, as 'return' and as 'enter': only 'enter' counts.
 */
export interface KeyPress {
  ch?: string;
  name?: string;
  ctrl?: boolean;
}

export type KeyEffect = 'quit' | 'pause' | null;

const PAGE = 10;
/** Zoom steps of 2×: at 8, a day-long connection's last 6 minutes fill the timeline. */
export const MAX_ZOOM = 8;

/** The selection after moving `delta` rows within the rows shown (in display order). */
export function moveSelection(ids: readonly number[], current: number | null, delta: number): number | null {
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at < 0) return ids[0]!;
  return ids[Math.max(0, Math.min(ids.length - 1, at + delta))]!;
}

function printable(k: KeyPress): string | null {
  if (k.ctrl || k.ch === undefined || k.ch.length !== 1) return null;
  return k.ch >= ' ' && k.ch !== '\x7f' ? k.ch : null;
}

/**
 * Applies one key to the UI state. `shown` is the row order on screen,
 * `detailPage` the detail pane's height (PgUp/PgDn scroll it while it is
 * open). Returns the side effect the caller must carry out: quitting, or
 * toggling the pause of the source.
 */
export function applyKey(s: UiState, k: KeyPress, shown: readonly number[], detailPage = PAGE): KeyEffect {
  const before = s.selectedId;
  const effect = keyEffect(s, k, shown, detailPage);
  // Another connection's detail starts at its top.
  if (s.selectedId !== before) s.detailTop = 0;
  return effect;
}

function keyEffect(s: UiState, k: KeyPress, shown: readonly number[], detailPage: number): KeyEffect {
  if (k.ctrl && k.name === 'c') return 'quit';
  if (s.filterDraft !== null) {
    if (k.name === 'enter' || k.name === 'linefeed') {
      s.filter = s.filterDraft.trim();
      s.filterDraft = null;
    } else if (k.name === 'escape') {
      s.filterDraft = null;
    } else if (k.name === 'backspace') {
      s.filterDraft = s.filterDraft.slice(0, -1);
    } else {
      const c = printable(k);
      if (c !== null) s.filterDraft += c;
    }
    return null;
  }
  if (k.ch === 'q' || (k.name === 'q' && !k.ctrl)) return 'quit';
  if (s.help) {
    // Any other key just closes the overlay, so nothing changes behind it unseen.
    s.help = false;
    return null;
  }
  switch (k.name) {
    case 'up':
      s.selectedId = moveSelection(shown, s.selectedId, -1);
      return null;
    case 'down':
      s.selectedId = moveSelection(shown, s.selectedId, 1);
      return null;
    case 'pageup':
      if (s.detail) s.detailTop = Math.max(0, s.detailTop - Math.max(1, detailPage - 1));
      else s.selectedId = moveSelection(shown, s.selectedId, -PAGE);
      return null;
    case 'pagedown':
      // Scrolled past the end is clamped by the app, which knows the text's length.
      if (s.detail) s.detailTop += Math.max(1, detailPage - 1);
      else s.selectedId = moveSelection(shown, s.selectedId, PAGE);
      return null;
    case 'home':
      s.selectedId = shown[0] ?? null;
      return null;
    case 'end':
      s.selectedId = shown[shown.length - 1] ?? null;
      return null;
    case 'enter':
    case 'linefeed':
      s.detail = !s.detail;
      s.detailTop = 0;
      return null;
    case 'escape':
      if (s.filter !== '') s.filter = '';
      else s.detail = false;
      return null;
  }
  switch (k.ch) {
    case 'k':
      s.selectedId = moveSelection(shown, s.selectedId, -1);
      return null;
    case 'j':
      s.selectedId = moveSelection(shown, s.selectedId, 1);
      return null;
    case '/':
      s.filterDraft = s.filter;
      return null;
    case 's':
      s.sort = SORT_MODES[(SORT_MODES.indexOf(s.sort) + 1) % SORT_MODES.length]!;
      return null;
    case 'p':
      s.paused = !s.paused;
      return 'pause';
    case '?':
      s.help = true;
      return null;
    case '+':
    case '=':
      s.zoom = Math.min(MAX_ZOOM, s.zoom + 1);
      return null;
    case '-':
      s.zoom = Math.max(0, s.zoom - 1);
      return null;
    case 'c':
      s.showClosed = !s.showClosed;
      return null;
  }
  return null;
}

// Each fits 74 columns: the help overlay at 80×24 holds them and the legend without scrolling.
export const HELP_LINES: readonly string[] = [
  'keys',
  '  ↑/↓ or k/j   select a connection (PgUp/PgDn, Home/End jump)',
  '  Enter        show/hide the detail: verdict, evidence, recommendation',
  '  PgUp/PgDn    scroll the open detail',
  '  /            filter by address or port (Enter applies, Esc cancels)',
  '  Esc          clear the filter, then close the detail',
  '  s            sort by risk → idle → age',
  '  + / -        zoom the timeline in (its latest part) / out',
  `  c            show/fold the closed group (no packet for ${durationText(CLOSED_FOLD_AFTER_S, 'compact')})`,
  '  p            pause/resume (live: capture goes on, the display freezes)',
  "  F            kad fix for the selected connection's socket (y applies)",
  '  ?            this help (any key closes it)',
  '  q, Ctrl-C    quit',
];

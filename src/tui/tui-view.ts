import blessed from 'blessed';
import { computeLayout, type Layout, type Rect } from './layout.js';
import { maxOf } from '../util/extremes.js';
import { visibleLength } from './word-wrap.js';

export interface PaneText {
  label?: string;
  lines: string[];
}

/** Everything one frame shows; built by the app from the layout's pane sizes. */
export interface Frame {
  header: string[];
  table: PaneText;
  timeline: PaneText;
  log: PaneText;
  detail: PaneText | null;
  footer: string;
  /** An overlay over the middle of the screen: the help, or kad fix's table. */
  help: { label: string; lines: string[] } | null;
}

/** Inner (content) size of a bordered pane. */
export function inner(r: Rect | null): { width: number; height: number } {
  return r === null ? { width: 0, height: 0 } : { width: Math.max(0, r.width - 2), height: Math.max(0, r.height - 2) };
}

/**
 * The blessed widgets and nothing else: geometry comes from computeLayout,
 * text from the app. Every pane is a plain tagged box, so what the screen
 * shows is exactly the strings the app produced.
 */
export class TuiView {
  private readonly header: blessed.Widgets.BoxElement;
  private readonly table: blessed.Widgets.BoxElement;
  private readonly timeline: blessed.Widgets.BoxElement;
  private readonly log: blessed.Widgets.BoxElement;
  private readonly detail: blessed.Widgets.BoxElement;
  private readonly footer: blessed.Widgets.BoxElement;
  private readonly help: blessed.Widgets.BoxElement;

  constructor(readonly screen: blessed.Widgets.Screen) {
    const pane = (label: string) =>
      blessed.box({
        parent: screen,
        tags: true,
        wrap: false,
        border: { type: 'line' },
        label,
        style: { border: { fg: 'blue' }, label: { bold: true } },
      });
    this.header = blessed.box({ parent: screen, tags: true, wrap: false, style: { bg: 'blue', fg: 'white' } });
    this.table = pane(' connections ');
    this.timeline = pane(' timeline ');
    this.log = pane(' events ');
    // The app wraps the detail at word boundaries and scrolls it itself (src/tui/word-wrap.ts).
    this.detail = blessed.box({
      parent: screen,
      tags: true,
      wrap: false,
      border: { type: 'line' },
      label: ' detail ',
      style: { border: { fg: 'green' } },
    });
    this.footer = blessed.box({ parent: screen, tags: true, wrap: false, style: { bg: 'black', fg: 'white' } });
    this.help = blessed.box({
      parent: screen,
      tags: true,
      wrap: false,
      hidden: true,
      border: { type: 'line' },
      label: ' help ',
      style: { bg: 'black', fg: 'white', border: { fg: 'yellow' } },
    });
  }

  get cols(): number {
    return this.screen.width as number;
  }

  get rows(): number {
    return this.screen.height as number;
  }

  layout(detail: boolean, legendLineCount: number, tableLines: number): Layout {
    return computeLayout(this.cols, this.rows, detail, legendLineCount, tableLines);
  }

  draw(l: Layout, f: Frame): void {
    place(this.header, l.header);
    this.header.setContent(f.header.join('\n'));
    place(this.table, l.table);
    setPane(this.table, f.table);
    place(this.timeline, l.timeline);
    setPane(this.timeline, f.timeline);
    place(this.log, l.log);
    setPane(this.log, f.log);
    place(this.detail, f.detail ? l.detail : null);
    if (f.detail) setPane(this.detail, f.detail);
    place(this.footer, l.footer);
    this.footer.setContent(f.footer);
    if (f.help) {
      const lines = f.help.lines;
      const longest = maxOf(lines, visibleLength, 0);
      const width = Math.max(20, Math.min(longest + 4, this.cols - 4));
      const height = Math.min(lines.length + 2, Math.max(3, this.rows - 2));
      place(this.help, {
        top: Math.max(0, Math.floor((this.rows - height) / 2)),
        left: Math.max(0, Math.floor((this.cols - width) / 2)),
        width,
        height,
      });
      this.help.setLabel(f.help.label);
      this.help.setContent(lines.join('\n'));
      this.help.setFront();
    } else {
      this.help.hide();
    }
    this.screen.render();
  }
}

function place(el: blessed.Widgets.BoxElement, r: Rect | null): void {
  if (r === null || r.width <= 0 || r.height <= 0) {
    el.hide();
    return;
  }
  el.top = r.top;
  el.left = r.left;
  el.width = r.width;
  el.height = r.height;
  el.show();
}

function setPane(el: blessed.Widgets.BoxElement, p: PaneText): void {
  if (p.label !== undefined) el.setLabel(p.label);
  el.setContent(p.lines.join('\n'));
}

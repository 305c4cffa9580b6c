import type blessed from 'blessed';
import type { LiveModel, LiveModelEvents, LiveSnapshot } from '../live/live-model.js';
import type { ConnectionDiagnosis, ResetAttribution, ResetVerdict, SetupVerdict, SilentDropVerdict } from '../model/analysis-report.js';
import { socketKey } from '../sockets/annotate-sockets.js';
import { CaptureClock, connectionsAtRisk, riskContext, type StatedTimeout } from '../sockets/at-risk.js';
import { CounterNotes, ListenerAlerts, type HostHealth } from '../sockets/host-health.js';
import { RefreshGate } from '../sockets/refresh-gate.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { endpointText } from '../util/ip-text.js';
import { foldClosed } from './closed-group.js';
import { fitColumns } from './columns.js';
import { buildRow, isOver, rowMatches, scrollTop, sortRows, type ConnRow, type RowContext } from './conn-rows.js';
import { closedGroupLine, tableColumns, tableHeader, tableLine } from './conn-table.js';
import { detailLines } from './detail.js';
import { fixApply, fixDryRun, type FixPanel } from './fix-panel.js';
import { TimelineRecorder } from './event-ring.js';
import { escapeTags } from './format.js';
import { headerLines, type RunState } from './header.js';
import { applyKey, HELP_LINES, initialUiState, type KeyPress } from './keys.js';
import { infoLine, kernelLine, LogLines, resetLine, setupLine, silentDropLine } from './log-lines.js';
import type { KernelSource } from '../live/kernel-source.js';
import { ERRNO_NAMES } from '../model/kernel-event.js';
import { legendLines } from './timeline.js';
import { timelinePane } from './timeline-pane.js';
import { inner, TuiView, type Frame } from './tui-view.js';
import { visibleLength, wrapAll } from './word-wrap.js';

export interface TuiOptions {
  /** Shown in the header, e.g. the feed's label. */
  title: string;
  /** Idle timeout the user states for every path (--idle-timeout s, --behind, --timeout-from); otherwise each path's inferred one is used. */
  idleTimeoutS?: StatedTimeout;
  /** Reads the socket table of this host, already joined to the model's connections (see src/sockets); the signal stops the read. */
  sockets?: (signal: AbortSignal) => Promise<SocketInfo[]>;
  socketPollMs?: number;
  /** Redraw interval while running, so that idle times keep counting between snapshots. */
  tickMs?: number;
  /** kad live --kernel: the trace session's events, handed out once each, and the socket reads that name their owners. */
  kernel?: Pick<KernelSource, 'due' | 'sockets'>;
  /** This host's listeners and kernel TCP counters (not for a recorded capture: they are this host's, now). */
  host?: () => Promise<HostHealth>;
  hostPollMs?: number;
}

/** Connections remembered with the error their application got; the oldest go first past this. */
const APP_ERRORS_KEPT = 10_000;

/**
 * The TUI's controller: follows a LiveModel (snapshots, new verdicts, end),
 * keeps the UI state the keys change, and draws frames through TuiView.
 * It runs the model itself: pass one that has not been started.
 */
export class TuiApp {
  readonly ui = initialUiState();
  private readonly view: TuiView;
  private readonly clock: CaptureClock;
  private readonly recorder: TimelineRecorder;
  /** Without the model's per-packet hook, timelines are rebuilt from the tracker's event log (notable packets only). */
  private readonly fromEventLog: boolean;
  private eventLogIndex = 0;
  private compactionsSeen = 0;
  private snap: LiveSnapshot | null = null;
  private pending: LiveSnapshot | null = null;
  private diagnoses = new Map<number, ConnectionDiagnosis>();
  private attributions = new Map<string, ResetAttribution>();
  private socketList: readonly SocketInfo[] = [];
  private sockets = new Map<number, SocketInfo[]>();
  private socketTotal: number | null = null;
  private readonly atRiskSeen = new Set<string>();
  private socketError: string | null = null;
  private socketGate: RefreshGate | null = null;
  private hostGate: RefreshGate | null = null;
  private readonly listenerAlerts = new ListenerAlerts();
  private readonly counterNotes = new CounterNotes();
  /** Listeners at risk at the last host read; null before one. */
  private listenersAtRisk: number | null = null;
  private hostError: string | null = null;
  private readonly log = new LogLines();
  private readonly appErrors = new Map<number, string>();
  private state: RunState = 'running';
  private tableTop = 0;
  private shown: number[] = [];
  /** The row selected at the last frame: what F (kad fix) acts on. */
  private selectedRow: ConnRow | null = null;
  private fixPanel: FixPanel | null = null;
  /** The detail's height at the last frame: what PgUp/PgDn scroll by. */
  private detailPage = 10;
  private renderQueued = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private done: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly model: LiveModel,
    recorder: TimelineRecorder | null,
    screen: blessed.Widgets.Screen,
    private readonly opts: TuiOptions,
  ) {
    this.view = new TuiView(screen);
    this.clock = new CaptureClock(model.feed);
    this.recorder = recorder ?? new TimelineRecorder();
    this.fromEventLog = recorder === null;
  }

  /** Source can pause (a replay), or pausing only freezes the display (live). */
  private get frozenPause(): boolean {
    return this.model.feed.setPaused === undefined;
  }

  /** Runs the model and the UI; resolves when the user quits. */
  run(): Promise<void> {
    const quit = new Promise<void>((resolve) => {
      this.done = resolve;
    });
    this.listen();
    this.running = this.model.run();
    this.timers.push(
      setInterval(() => {
        if (this.state === 'running') this.scheduleRender();
      }, this.opts.tickMs ?? 1000),
    );
    if (this.opts.sockets) {
      const gate = new RefreshGate(this.opts.socketPollMs ?? 2000);
      this.socketGate = gate;
      const poll = (): void =>
        void gate.run(
          (signal) => this.pollSockets(signal),
          (err) => this.socketFailed(err),
        );
      poll();
      // Polled often, read when the gate says: one read at a time, further apart on a big table.
      this.timers.push(setInterval(poll, Math.min(500, this.opts.socketPollMs ?? 2000)));
    }
    if (this.opts.host) {
      const gate = new RefreshGate(this.opts.hostPollMs ?? 5000);
      this.hostGate = gate;
      const poll = (): void =>
        void gate.run(
          () => this.pollHost(),
          (err) => this.hostFailed(err),
        );
      poll();
      this.timers.push(setInterval(poll, 500));
    }
    this.render();
    return quit;
  }

  quit(): void {
    const d = this.done;
    this.done = null;
    d?.();
  }

  /** Stops timers, listeners and the source; waits (bounded) for the source to wind down. */
  async dispose(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const off of this.detach) off();
    this.detach.length = 0;
    this.model.stop();
    // Kills an in-flight socket reader: quitting must not wait for ss over 10^5 sockets.
    await this.socketGate?.stop();
    await this.hostGate?.stop();
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
  }

  /** Key handler, also the entry point of headless tests. */
  key(k: KeyPress): void {
    // The kad fix overlay takes the next key: y applies what it showed, anything else closes it.
    if (this.fixPanel) {
      const apply = k.ch === 'y' ? this.fixPanel.apply : null;
      this.fixPanel = apply ? fixApply(apply) : null;
      this.render();
      return;
    }
    if (k.ch === 'F' && !k.ctrl && this.ui.filterDraft === null) {
      this.fixPanel = fixDryRun(this.selectedRow);
      this.render();
      return;
    }
    const effect = applyKey(this.ui, k, this.shown, this.detailPage);
    if (effect === 'quit') {
      this.quit();
      return;
    }
    if (effect === 'pause') this.onPause();
    this.render();
  }

  private on<E extends keyof LiveModelEvents>(event: E, fn: (...args: LiveModelEvents[E]) => void): void {
    // @types/node's typed EventEmitter cannot relate a generic key to its listener; the signature above does.
    const m = this.model as unknown as NodeJS.EventEmitter;
    m.on(event, fn as (...args: unknown[]) => void);
    this.detach.push(() => m.off(event, fn as (...args: unknown[]) => void));
  }

  private listen(): void {
    this.on('snapshot', (s: LiveSnapshot) => this.onSnapshot(s));
    this.on('reset', (v: ResetVerdict) => {
      this.log.add(resetLine(v));
      this.scheduleRender();
    });
    this.on('silentDrop', (d: SilentDropVerdict) => {
      this.log.add(silentDropLine(d, this.nowEpoch()));
      this.scheduleRender();
    });
    this.on('setup', (v: SetupVerdict) => {
      this.log.add(setupLine(v, this.nowEpoch()));
      this.scheduleRender();
    });
    this.on('end', () => {
      this.state = 'ended';
      this.clock.end();
      if (this.pending) this.apply(this.pending);
      this.log.add(infoLine(this.nowEpoch(), `source ended after ${this.snap?.packets ?? 0} packets; q quits`, 'cyan'));
      this.scheduleRender();
    });
    this.on('error', (err: Error) => {
      this.log.add(infoLine(null, `source error: ${err.message}`, 'red'));
      this.scheduleRender();
    });
    const screen = this.view.screen;
    const onKey = (ch: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) =>
      this.key({ ch, name: key?.name, ctrl: key?.ctrl });
    const onResize = () => this.render();
    screen.on('keypress', onKey);
    screen.on('resize', onResize);
    this.detach.push(() => {
      screen.removeListener('keypress', onKey);
      screen.removeListener('resize', onResize);
    });
  }

  private onSnapshot(s: LiveSnapshot): void {
    if (this.ui.paused && this.frozenPause && this.state !== 'ended') {
      this.pending = s;
      return;
    }
    this.apply(s);
  }

  private apply(s: LiveSnapshot): void {
    this.pending = null;
    this.snap = s;
    this.diagnoses = new Map(s.diagnoses.map((d) => [d.conn, d]));
    this.attributions = new Map();
    for (const d of s.diagnoses) for (const r of d.resets) this.attributions.set(`${r.conn}:${r.frame}`, r.attribution);
    const tracker = this.model.pipeline.tracker;
    if (tracker.connectionCount > 0) this.clock.observe(this.baseEpoch() + tracker.lastTime / 1e9);
    if (this.fromEventLog) this.syncFromEventLog();
    this.takeKernelEvents();
    this.scheduleRender();
  }

  /** Kernel events older than the hold (their packets are tracked by now): to the log, and errors onto their rows. */
  private takeKernelEvents(): void {
    const kernel = this.opts.kernel;
    if (!kernel) return;
    for (const { ev, match } of kernel.due()) {
      const line = kernelLine(ev, match);
      if (line) this.log.add(line);
      if (ev.kind !== 'error' || ev.errno === null || match?.conn == null || ev.netns !== 'this') continue;
      this.appErrors.set(match.conn, ERRNO_NAMES[ev.errno] ?? `errno ${ev.errno}`);
      if (this.appErrors.size > APP_ERRORS_KEPT) this.appErrors.delete(this.appErrors.keys().next().value!);
    }
  }

  private syncFromEventLog(): void {
    const tracker = this.model.pipeline.tracker;
    const log = tracker.events;
    // Eviction closed the gaps in the log: what it kept had all been read (it runs right after a snapshot).
    if (tracker.compactions !== this.compactionsSeen) {
      this.compactionsSeen = tracker.compactions;
      this.eventLogIndex = tracker.eventsKeptByLastCompaction;
    }
    const store = tracker.store;
    for (let i = this.eventLogIndex; i < log.count; i++) {
      this.recorder.add(store.id(log.conn(i)), log.time(i) / 1e9, log.kind(i), log.dir(i), log.frame(i));
    }
    this.eventLogIndex = log.count;
  }

  private onPause(): void {
    if (this.state === 'ended') {
      this.ui.paused = false;
      this.log.add(infoLine(this.nowEpoch(), 'the source has ended: nothing to pause'));
      return;
    }
    this.model.feed.setPaused?.(this.ui.paused);
    this.state = this.ui.paused ? 'paused' : 'running';
    if (!this.ui.paused && this.pending) this.apply(this.pending);
    this.log.add(infoLine(this.nowEpoch(), this.ui.paused ? 'paused' : 'resumed', 'yellow'));
  }

  private socketFailed(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg !== this.socketError) this.log.add(infoLine(null, `socket table: ${msg}`, 'red'));
    this.socketError = msg;
  }

  /** Listeners newly at risk and the kernel counters that moved, to the log; the at-risk count to the header. */
  private async pollHost(): Promise<void> {
    if (!this.opts.host || this.done === null) return;
    const h = await this.opts.host();
    if (this.done === null) return;
    this.hostError = null;
    const at = this.nowEpoch();
    for (const l of this.listenerAlerts.fresh(h.listeners))
      this.log.add(infoLine(at, `LISTENER ${l.verdict ?? ''}`, l.atRisk ? 'red' : 'yellow'));
    this.listenersAtRisk = h.listeners.filter((l) => l.atRisk).length;
    const notes = this.counterNotes.lines(h.counters);
    if (notes.summary !== null) this.log.add(infoLine(at, `kernel counters: ${notes.summary}`, 'magenta'));
    for (const m of notes.meanings) this.log.add(infoLine(null, `  ${m}`));
    this.scheduleRender();
  }

  private hostFailed(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg !== this.hostError) this.log.add(infoLine(null, `listeners and counters: ${msg}`, 'red'));
    this.hostError = msg;
  }

  private async pollSockets(signal: AbortSignal): Promise<void> {
    if (!this.opts.sockets || this.done === null) return;
    const list = await this.opts.sockets(signal);
    if (this.done === null) return;
    this.opts.kernel?.sockets(list);
    this.socketError = null;
    const byConn = new Map<number, SocketInfo[]>();
    for (const s of list) {
      if (s.atRisk) {
        const key = socketKey(s);
        if (!this.atRiskSeen.has(key)) {
          this.atRiskSeen.add(key);
          const who = `${endpointText(s.local)} ↔ ${endpointText(s.peer)}${s.conn !== null ? ` (#${s.conn})` : ''}`;
          this.log.add(infoLine(this.nowEpoch(), `AT RISK socket ${who}: ${s.riskReason ?? ''}`, 'yellow'));
        }
      }
      if (s.conn !== null) byConn.set(s.conn, [...(byConn.get(s.conn) ?? []), s]);
    }
    this.socketList = list;
    this.sockets = byConn;
    this.socketTotal = list.length;
    this.scheduleRender();
  }

  private baseEpoch(): number {
    const t = this.model.pipeline.tracker;
    return t.baseSec + t.baseNsec / 1e9;
  }

  private nowRel(): number {
    const now = this.clock.now();
    return now === null ? 0 : now - this.baseEpoch();
  }

  private nowEpoch(): number {
    return this.clock.now() ?? Date.now() / 1000;
  }

  /** What the header counts: the same judgment as the rows, plus this host's sockets the capture does not show. */
  private atRiskCounts(): { total: number; uncaptured: number } {
    if (!this.snap) return { total: 0, uncaptured: 0 };
    const all = connectionsAtRisk(this.snap.openReports, this.socketList, riskContext(this.snap, this.nowEpoch(), this.opts.idleTimeoutS));
    return { total: all.length, uncaptured: all.filter((a) => a.conn === null).length };
  }

  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    setImmediate(() => {
      this.renderQueued = false;
      if (this.done !== null) this.render();
    });
  }

  private rows(): ConnRow[] {
    if (!this.snap) return [];
    const t = this.model.pipeline.tracker;
    const ctx: RowContext = {
      baseSec: t.baseSec,
      baseNsec: t.baseNsec,
      nowS: this.nowRel(),
      idleTimeouts: this.snap.idleTimeouts,
      statedTimeoutS: this.opts.idleTimeoutS,
      diagnoses: this.diagnoses,
      sockets: this.sockets,
      appErrors: this.appErrors,
    };
    return this.snap.connections.map((c) => buildRow(c, ctx));
  }

  render(): void {
    if ((this.view.screen as { destroyed?: boolean }).destroyed === true) return;
    const all = this.rows();
    const { live, closed } = foldClosed(
      all.filter((r) => rowMatches(r, this.ui.filter)),
      this.nowRel(),
      // Unfolded, the closed group lists the selected row in its place anyway.
      this.ui.showClosed ? null : this.ui.selectedId,
    );
    const liveRows = sortRows(live, this.ui.sort);
    const closedRows = this.ui.showClosed ? sortRows(closed, this.ui.sort) : [];
    const listed = [...liveRows, ...closedRows];
    this.shown = listed.map((r) => r.id);
    if (this.ui.selectedId === null || !this.shown.includes(this.ui.selectedId)) this.ui.selectedId = this.shown[0] ?? null;
    const selected = listed.find((r) => r.id === this.ui.selectedId) ?? null;
    this.selectedRow = selected;
    // The table's lines below its titles: live rows, the closed group's line, its rows when unfolded.
    const entries: Array<ConnRow | null> = [...liveRows, ...(closed.length > 0 ? [null] : []), ...closedRows];
    const empty =
      all.length === 0 ? ['no TCP connections yet'] : entries.length === 0 ? ['no connection matches the filter (Esc clears it)'] : [];

    const cols = this.view.cols;
    const layout = this.view.layout(this.ui.detail, legendLines(Math.max(1, cols - 2)).length, 1 + entries.length + empty.length);
    const table = inner(layout.table);
    const bodyRows = Math.max(0, table.height - 1);
    const selIndex = selected ? entries.indexOf(selected) : 0;
    this.tableTop = scrollTop(selIndex, entries.length, bodyRows, this.tableTop);
    const visible = entries.slice(this.tableTop, this.tableTop + bodyRows);
    const columns = tableColumns(listed, table.width);
    const tracker = this.model.pipeline.tracker;
    const timeline = timelinePane(selected, selected ? this.recorder.get(selected.id) : undefined, inner(layout.timeline).width, {
      baseSec: tracker.baseSec,
      baseNsec: tracker.baseNsec,
      nowS: this.nowRel(),
      attribution: (conn, frame) => this.attributions.get(`${conn}:${frame}`) ?? null,
      zoom: this.ui.zoom,
      legendLines: layout.legendLines,
    });
    const filterText = this.ui.filter ? `  filter "${escapeTags(this.ui.filter)}"` : '';
    const log = inner(layout.log);
    const matching = liveRows.length + closed.length;
    const frame: Frame = {
      header: headerLines({
        title: this.opts.title,
        snap: this.snap,
        state: this.state,
        open: all.filter((r) => !isOver(r.conn)).length,
        statedTimeoutS: this.opts.idleTimeoutS,
        sockets: this.socketTotal,
        atRisk: this.atRiskCounts(),
        listenersAtRisk: this.listenersAtRisk,
        width: cols,
        frozen: this.frozenPause,
      }),
      table: {
        label: ` connections ${matching}${matching !== all.length ? ` of ${all.length}` : ''}  sort: ${this.ui.sort}${filterText} `,
        lines: [
          `{bold}${escapeTags(tableHeader(columns))}{/bold}`,
          ...visible.map((r) =>
            r === null
              ? closedGroupLine(closed.length, this.ui.showClosed, table.width)
              : tableLine(r, columns, r.id === this.ui.selectedId),
          ),
          ...empty,
        ],
      },
      timeline,
      // Wrapped, newest last: the pane shows the end of the log whatever the lines' lengths.
      log: { lines: log.height > 0 ? wrapAll(this.log.tail(log.height), log.width).slice(-log.height) : [] },
      detail: this.ui.detail ? this.detailPane(selected, inner(layout.detail), layout.table === null) : null,
      footer: this.footerText(cols),
      help: this.fixPanel
        ? { label: ' kad fix ', lines: wrapAll(this.fixPanel.lines.map(escapeTags), Math.max(20, cols - 6)) }
        : this.ui.help
          ? { label: ' help ', lines: helpLines(Math.max(20, cols - 6)) }
          : null,
    };
    this.view.draw(layout, frame);
  }

  /** The selected connection's detail, wrapped to the pane and scrolled to ui.detailTop. */
  private detailPane(
    selected: ConnRow | null,
    box: { width: number; height: number },
    fullScreen: boolean,
  ): { label: string; lines: string[] } {
    this.detailPage = Math.max(1, box.height);
    if (!selected) return { label: ' detail ', lines: ['no connection selected'] };
    const lines = wrapAll(detailLines(selected), Math.max(1, box.width));
    const maxTop = Math.max(0, lines.length - box.height);
    this.ui.detailTop = Math.min(Math.max(0, this.ui.detailTop), maxTop);
    const top = this.ui.detailTop;
    const shownTo = Math.min(lines.length, top + box.height);
    const where = lines.length > box.height ? `  lines ${top + 1}–${shownTo} of ${lines.length}, PgUp/PgDn scroll` : '';
    const back = fullScreen ? '  Enter/Esc back' : '';
    return { label: ` detail #${selected.id}${where}${back} `, lines: lines.slice(top, shownTo) };
  }

  private footerText(width: number): string {
    if (this.ui.filterDraft !== null)
      return ` filter: ${escapeTags(this.ui.filterDraft)}_   (Enter apply, Esc cancel; address or port substring)`;
    const pause = this.state === 'ended' ? null : this.ui.paused ? 'p resume' : 'p pause';
    // Dropped by priority when the terminal is narrow, shown in a fixed order; ? lists them all.
    const items: Array<[string | null, number]> = [
      ['↑↓ select', 0],
      [this.ui.detail ? 'PgUp/PgDn scroll' : 'Enter detail', 2],
      ['/ filter', 5],
      [`s sort (${this.ui.sort})`, 4],
      ['+/- zoom', 7],
      ['c closed', 6],
      [pause, 3],
      ['? help', 1],
      ['q quit', 0],
    ];
    const specs = items
      .filter((i): i is [string, number] => i[0] !== null)
      .map(([text, priority]) => ({ key: text, min: visibleLength(text), ideal: visibleLength(text), priority }));
    return ` ${fitColumns(specs, width - 1, 2)
      .map((c) => c.key)
      .join('  ')}`;
  }
}

/** The keys and the whole timeline legend, wrapped to the overlay (the timeline pane drops its legend when short of room). */
function helpLines(width: number): string[] {
  return [
    ...wrapAll(HELP_LINES.map(escapeTags), width),
    '',
    ...wrapAll(['timeline: a character per time bucket; rows client→server, server→client'], width),
    ...legendLines(width).map(escapeTags),
  ];
}

import fs from 'node:fs';
import tty from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import blessed from 'blessed';
import type { TrackedPacketHandler } from '../analyze/analyze-capture.js';
import { UserError } from '../model/errors.js';
import { LiveModel, type LiveModelOptions } from '../live/live-model.js';
import type { PacketFeed } from '../live/packet-feed.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { TimelineRecorder } from './event-ring.js';
import { TerminalGuard } from './terminal-guard.js';
import { TuiApp, type TuiOptions } from './tui-app.js';
import type { StatedTimeout } from '../sockets/at-risk.js';

const recorders = new WeakMap<LiveModel, TimelineRecorder>();

/**
 * A LiveModel whose per-packet hook records the TUI's timelines. runTui
 * also accepts any other LiveModel, but then it can only draw the packets
 * the tracker's event log keeps (keepalives, RSTs, FINs, idle breaks).
 */
export function createTuiModel(
  feed: PacketFeed,
  opts: Pick<LiveModelOptions, 'refreshMs' | 'onTcpPacket' | 'maxMemory' | 'cross' | 'verdictHoldMs'> = {},
): LiveModel {
  const recorder = new TimelineRecorder();
  const extra = opts.onTcpPacket;
  const hook: TrackedPacketHandler = extra
    ? (t, p, r, k) => {
        recorder.onTcpPacket(t, p, r, k);
        extra(t, p, r, k);
      }
    : recorder.onTcpPacket;
  const model = new LiveModel(feed, { ...opts, refreshMs: opts.refreshMs ?? 500, onTcpPacket: hook, wordedSnapshots: true });
  recorders.set(model, recorder);
  return model;
}

/** Fails with a one-line UserError when stdout is not a terminal: call before expensive setup. */
export function assertTerminal(): void {
  if (!process.stdout.isTTY)
    throw new UserError('the TUI needs a terminal on stdout; for pipes and files use `kad watch` (JSON Lines) or `kad analyze`');
}

/** The timelines createTuiModel() attached to a model, if it made it. */
export function timelineRecorderOf(model: LiveModel): TimelineRecorder | null {
  return recorders.get(model) ?? null;
}

/** Terminal streams for the UI. Keys come from /dev/tty when stdin carries data (`tcpdump … | kad live -r -`). */
function terminalIo(): {
  input: Readable & { setRawMode?: (on: boolean) => unknown; isTTY?: boolean };
  output: Writable;
  owned: tty.ReadStream | null;
} {
  assertTerminal();
  if (process.stdin.isTTY) return { input: process.stdin, output: process.stdout, owned: null };
  let fd: number;
  try {
    fd = fs.openSync('/dev/tty', 'r');
  } catch {
    throw new UserError('the TUI reads keys from the terminal, but stdin is not one and /dev/tty cannot be opened');
  }
  const input = new tty.ReadStream(fd);
  return { input, output: process.stdout, owned: input };
}

/** blessed screen with the settings that work on Node 20 with ncurses 6.4 (see docs on blessed terminfo). */
export function createTuiScreen(input: Readable, output: Writable): blessed.Widgets.Screen {
  const screen = blessed.screen({
    // @types/blessed has input and output swapped.
    input: input as unknown as Writable,
    output: output as unknown as Readable,
    // screen-256color / tmux-256color terminfo trips blessed's parser; xterm's works everywhere we run.
    terminal: 'xterm-256color',
    warnings: false,
    smartCSR: true,
    autoPadding: true,
    fullUnicode: false,
    title: 'kad',
  });
  // blessed draws ≤, → and box lines through the DEC line-drawing set whenever terminfo offers
  // it, which turns "T ≤ 5 s" into "T y 5 s" in copies and tmux captures. On a UTF-8 locale,
  // write the characters themselves (what NCURSES_NO_UTF8_ACS=1 does for ncurses).
  if (utf8Locale()) (screen.tput as unknown as { brokenACS: boolean }).brokenACS = true;
  return screen;
}

function utf8Locale(): boolean {
  const e = process.env;
  const locale = e.LC_ALL || e.LC_CTYPE || e.LANG || '';
  return /utf-?8/i.test(locale);
}

export interface RunTuiOptions {
  title: string;
  idleTimeoutS?: StatedTimeout;
  sockets?: (signal: AbortSignal) => Promise<SocketInfo[]>;
  /** kad live --kernel. */
  kernel?: TuiOptions['kernel'];
  /** This host's listeners and kernel counters. */
  host?: TuiOptions['host'];
}

/**
 * Shows `model` in the terminal until the user quits (q, Ctrl-C, SIGTERM).
 * runTui starts the model (model.run()) and stops its feed on the way out;
 * build it with createTuiModel() for full per-packet timelines. The terminal
 * is restored on every exit path; an uncaught error rejects after the restore.
 */
export async function runTui(model: LiveModel, opts: RunTuiOptions): Promise<void> {
  const io = terminalIo();
  const screen = createTuiScreen(io.input, io.output);
  const guard = new TerminalGuard(screen, io.input);
  const app = new TuiApp(model, timelineRecorderOf(model), screen, opts);
  try {
    await Promise.race([app.run(), guard.stopped]);
  } finally {
    app.quit();
    guard.restore();
    await app.dispose();
    io.owned?.destroy();
  }
}

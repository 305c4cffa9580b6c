import type { Command } from 'commander';
import { ReplayFeed } from '../live/replay-feed.js';
import { replaySpeed } from './option-values.js';
import { addTimeoutOptions, statedTimeout, type TimeoutFlags } from './given-timeout.js';
import { assertTerminal, createTuiModel, runTui } from '../tui/run-tui.js';

interface TuiFlags extends TimeoutFlags {
  speed: number;
}

export const TUI_KEYS_HELP = `
Keys:
  ↑/↓ (k/j)   select a connection        Enter   detail (verdict, evidence, recommendation)
  PgUp/PgDn   scroll the open detail      /       filter by address or port
  s           sort by risk → idle → age   + / -   zoom the timeline in (its latest part) / out
  c           show/fold the closed group  p       pause/resume the replay
  ?           help and timeline legend    q, Ctrl-C   quit

Timeline glyphs: S syn, d data, K keepalive probe, k keepalive ack, . ack, F fin,
  r retransmission/zero-window probe, R rst (red middlebox, green peer/local-stack,
  yellow unknown), - idle; marker row: T idle timeout from the last activity, | now.

The capture is read into memory, then packets are delivered as their own
timestamps (divided by --speed) come due; the last state stays on screen until q.

Examples:
  kad tui captures/fw-reset-keepalive.server.pcap
  kad tui capture.pcapng --speed 10
  kad tui capture.pcap.gz --speed max --idle-timeout 350s
  kad tui capture.pcap --behind azure-lb
`;

export function registerTui(program: Command): void {
  addTimeoutOptions(
    program
      .command('tui')
      .description('replay a capture in the interactive TUI (the screen of kad live), paced by its timestamps')
      .argument('<file>', 'pcap/pcapng capture, gzip allowed ("-" = stdin; keys are then read from /dev/tty)')
      .option('--speed <n>', 'replay speed: capture seconds per second; 0 or "max" = as fast as possible', replaySpeed, 1),
  )
    .addHelpText('after', TUI_KEYS_HELP)
    .action(async (file: string, flags: TuiFlags) => {
      assertTerminal();
      const stated = statedTimeout(flags);
      const feed = new ReplayFeed(file, { speed: flags.speed, displayName: file === '-' ? 'stdin' : file });
      // Read errors are reported as one line before the screen takes over the terminal.
      await feed.load();
      const model = createTuiModel(feed, { refreshMs: 500 });
      await runTui(model, { title: feed.label, idleTimeoutS: stated });
    });
}

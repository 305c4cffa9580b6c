import { accessSync, constants } from 'node:fs';
import { Command, Option } from 'commander';
import { ioError } from '../capture/io-error.js';
import { CapFeed, DEFAULT_BUFFER_SIZE, DEFAULT_FILTER, DEFAULT_SNAPLEN } from '../live/cap-feed.js';
import { LiveModel, type LiveModelOptions } from '../live/live-model.js';
import { KERNEL_VERDICT_HOLD_MS, KernelSource } from '../live/kernel-source.js';
import type { PacketFeed } from '../live/packet-feed.js';
import { StdinFeed } from '../live/stdin-feed.js';
import { ChildCaptureFeed } from '../live/child-capture-feed.js';
import { kadCaptureTool, tcpdumpTool } from '../live/capture-tools.js';
import { byteSize, captureTool, wholeNumber, type CaptureTool } from './option-values.js';
import { DEFAULT_MAX_MEMORY } from '../report/connection-retirer.js';
import { socketSource } from '../sockets/annotate-sockets.js';
import { HostHealthReader, type HostHealth } from '../sockets/host-health.js';
import { createProcSource, defaultRoots } from '../sockets/proc-source.js';
import type { SocketInfo } from '../sockets/socket-types.js';
import { UserError } from '../model/errors.js';
import { addTimeoutOptions, statedTimeout, type TimeoutFlags } from './given-timeout.js';
import type { StatedTimeout } from '../sockets/at-risk.js';

/** Options shared by `kad live` and `kad watch`: where packets come from. */
export interface SourceFlags extends TimeoutFlags {
  interface?: string;
  filter?: string;
  read?: string;
  snaplen: number;
  bufferSize: number;
  maxMemory: number;
  captureWith: CaptureTool;
}

export function addSourceOptions(cmd: Command): Command {
  return addTimeoutOptions(cmd)
    .addOption(
      new Option(
        '-i, --interface <name>',
        'capture on this interface; "any" = all of them (default: the interface of the default route)',
      ).conflicts('read'),
    )
    .addOption(
      new Option(
        '--capture-with <tool>',
        "cap: libpcap in-process (arrival timestamps, no drop count; a bound from the link counters); kad-capture: kad's own libpcap reader in a child (kernel timestamps, drop count, keeps up on busy links); tcpdump: a tcpdump child (kernel timestamps, drop count)",
      )
        .argParser(captureTool)
        .default('cap')
        .conflicts('read'),
    )
    .addOption(new Option('-f, --filter <bpf>', `capture filter, pcap-filter(7) syntax (default: "${DEFAULT_FILTER}")`).conflicts('read'))
    .option(
      '-r, --read <file>',
      'read a pcap/pcapng file as fast as possible instead of capturing; "-" reads a stream on stdin (tcpdump -U -w - | kad … -r -)',
    )
    .addOption(
      new Option('--snaplen <bytes>', 'bytes kept per captured packet')
        .argParser(wholeNumber('byte count', 64))
        .default(DEFAULT_SNAPLEN)
        .conflicts('read'),
    )
    .addOption(
      new Option('--buffer-size <bytes>', 'kernel capture buffer (pcap_set_buffer_size)')
        .argParser(wholeNumber('byte count', 65536))
        .default(DEFAULT_BUFFER_SIZE)
        .conflicts('read'),
    )
    .option(
      '--max-memory <size>',
      'bound the connection state kept (e.g. 512M, 2G); ended connections are tallied and forgotten 2 s (both FINs) or 10 s (a RST) of capture time after their last packet, and past half of this the quietest open ones too',
      byteSize,
      DEFAULT_MAX_MEMORY,
    );
}

export const TIMESTAMP_HELP = `
Capture: cap (libpcap in-process, the default) gives no kernel timestamps, so
each packet is stamped when it reaches kad, and no drop count (kad bounds what
it missed from the interface's counters). --capture-with kad-capture runs
kad's own libpcap reader as a child: kernel timestamps, libpcap's drop count,
and it keeps up with busy links; --capture-with tcpdump does the same through
tcpdump. A pcap stream on stdin works too: tcpdump -i any -U -w - tcp | kad … -r -
`;

/**
 * The feed the flags ask for. A live capture is opened here, before any
 * TUI exists: permission, interface and filter errors come out as one line,
 * and cap's own stderr warnings cannot land on a drawn screen.
 */
export function openFeed(flags: SourceFlags, command: string): PacketFeed {
  if (flags.read !== undefined) {
    if (flags.read === '') throw new UserError('-r needs a file name, or - for stdin');
    if (flags.read !== '-') {
      // Fail before any output (or screen) exists, not as a read error after a stats line.
      try {
        accessSync(flags.read, constants.R_OK);
      } catch (err) {
        throw new UserError(ioError(flags.read, err).message);
      }
    }
    return new StdinFeed(flags.read);
  }
  if (flags.captureWith !== 'cap') {
    const makeTool = flags.captureWith === 'tcpdump' ? tcpdumpTool : kadCaptureTool;
    const spec = { filter: flags.filter, snaplen: flags.snaplen, bufferSize: flags.bufferSize };
    return new ChildCaptureFeed(flags.interface, (device) => makeTool({ ...spec, device }));
  }
  const feed = new CapFeed({
    device: flags.interface,
    filter: flags.filter,
    snaplen: flags.snaplen,
    bufferSize: flags.bufferSize,
    command,
  });
  feed.open();
  return feed;
}

/** Where the TUI lives (src/tui/run-tui.ts); imported lazily so kad watch never loads blessed. */
const TUI_MODULE = '../tui/run-tui.js';

export interface TuiOptions {
  title: string;
  idleTimeoutS?: StatedTimeout;
  sockets?: (signal: AbortSignal) => Promise<SocketInfo[]>;
  kernel?: KernelSource;
  host?: () => Promise<HostHealth>;
}

/** run-tui's entry points: runTui starts model.run() itself and stops the feed on the way out. */
interface TuiModule {
  runTui: (model: LiveModel, opts: TuiOptions) => Promise<void>;
  /** A LiveModel that also records per-packet timelines; optional, a plain LiveModel works too. */
  createTuiModel?: (feed: PacketFeed, opts: Pick<LiveModelOptions, 'maxMemory' | 'cross' | 'verdictHoldMs'>) => LiveModel;
}

async function loadTui(): Promise<TuiModule> {
  let mod: Partial<Record<keyof TuiModule, unknown>>;
  try {
    mod = (await import(TUI_MODULE)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('run-tui')) {
      throw new UserError('the TUI is not available in this build; use kad watch for JSON Lines output');
    }
    throw err;
  }
  if (typeof mod.runTui !== 'function') throw new UserError('the TUI is not available in this build (no runTui export); use kad watch');
  return {
    runTui: mod.runTui as TuiModule['runTui'],
    createTuiModel: typeof mod.createTuiModel === 'function' ? (mod.createTuiModel as TuiModule['createTuiModel']) : undefined,
  };
}

export function registerLive(program: Command): void {
  addSourceOptions(
    program
      .command('live')
      .description('live TUI: capture (or read a pcap stream) and show connections, keepalives, resets and at-risk sockets as they happen'),
  )
    .option('--no-sockets', "do not read this host's socket table (ss, or /proc/net/tcp)")
    .option(
      '--kernel',
      "also read this host's TCP tracepoints (root, tracefs): kernel events in the event log, the application's error on its connection's row, and evidence for the verdicts",
    )
    .addHelpText(
      'after',
      `${TIMESTAMP_HELP}\nExamples:\n  sudo kad live\n  sudo kad live -i eth0 -f 'tcp port 5432' --idle-timeout 350\n  sudo kad live --behind aws-nat-gateway\n  kad probe db.example.com:5432 --json > probe.json && sudo kad live --timeout-from probe.json\n  sudo tcpdump -i any -U -w - tcp | kad live -r -\n  kad live -r capture.pcapng`,
    )
    .action(async (flags: SourceFlags & { sockets: boolean; kernel?: boolean }) => {
      await runLive(flags);
    });
}

/** Listeners and counter deltas of this network namespace, read on the TUI's cadence. */
function hostHealth(): () => Promise<HostHealth> {
  const reader = new HostHealthReader(createProcSource(defaultRoots()));
  return () => reader.read();
}

async function runLive(flags: SourceFlags & { sockets: boolean; kernel?: boolean }): Promise<void> {
  const stated = statedTimeout(flags);
  if (flags.kernel && flags.read !== undefined)
    throw new UserError("--kernel reads this host's kernel now: it cannot go with -r (a recorded capture)");
  // The trace instance first: a refusal (not root, no tracefs) comes before any capture or screen exists.
  const warnings: string[] = [];
  const kernel = flags.kernel ? new KernelSource('kad live', (l) => warnings.push(l)) : null;
  let feed: PacketFeed;
  let tui: TuiModule;
  try {
    feed = openFeed(flags, 'kad live');
    try {
      tui = await loadTui();
    } catch (err) {
      feed.stop();
      throw err;
    }
  } catch (err) {
    kernel?.close();
    throw err;
  }
  const cross = kernel ? (a: Parameters<NonNullable<LiveModelOptions['cross']>>[0]) => kernel.cross(a) : undefined;
  const verdictHoldMs = kernel ? KERNEL_VERDICT_HOLD_MS : 0;
  const model = tui.createTuiModel
    ? tui.createTuiModel(feed, { maxMemory: flags.maxMemory, cross, verdictHoldMs })
    : new LiveModel(feed, { maxMemory: flags.maxMemory, cross, verdictHoldMs, wordedSnapshots: true });
  let failure: Error | null = null;
  model.on('error', (err) => {
    // Reported after the TUI has restored the terminal, or it would be painted over.
    failure = err;
  });
  // Sockets of this host mean something only when the packets are this host's (live, or a pipe from tcpdump here).
  const withSockets = flags.sockets && (flags.read === undefined || flags.read === '-');
  try {
    await tui.runTui(model, {
      title: feed.label,
      idleTimeoutS: stated,
      sockets: withSockets ? socketSource(() => model.latest, { idleTimeoutS: stated }) : undefined,
      kernel: kernel ?? undefined,
      host: withSockets ? hostHealth() : undefined,
    });
  } finally {
    model.stop();
    kernel?.close();
  }
  // Said after the TUI has given the terminal back (a missing tracepoint), or it would be painted over.
  for (const w of warnings) process.stderr.write(`${w}\n`);
  if (failure) throw failure;
}

import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { analyzeFiles } from '../diagnose/analyze-files.js';
import type { CaptureDiagnosis } from '../diagnose/diagnose-capture.js';
import type { AnalysisReport, ConnectionDiagnosis, FileReport } from '../model/analysis-report.js';
import { buildFileReport, narrows, passesFilter, reportedConnections, type ConnectionFilter } from '../report/build-file-report.js';
import { LineWriter } from './line-writer.js';
import { writeJson, type LazyArrays } from '../render/json-report.js';
import { makeStyle, wantColor } from '../render/style.js';
import { MAX_LISTED, renderComparisons, renderFileReport, renderMergedView } from '../render/text-report.js';
import { buildMergedView } from '../report/merged-view.js';
import { byteSize, connectionNumber, ipAddress, listOf, tcpPort } from './option-values.js';
import { ConnectionRetirer, DEFAULT_MAX_MEMORY, MAX_KEPT_IN_FULL } from '../report/connection-retirer.js';
import { VERSION } from '../version.js';
import { UserError } from '../model/errors.js';
import { addressText } from '../util/ip-text.js';
import type { DecodedTcp } from '../decode/decoded-tcp.js';
import type { eventLinePhrases } from '../render/event-lines.js';
import { fitsEventLines } from '../track/event-line-out.js';
import type { TcpTracker } from '../track/tcp-tracker.js';

/** Scenario 1 of the lab, seen from the server: the case the tool exists for. */
export const DEFAULT_CAPTURE = fileURLToPath(new URL('../../../captures/fw-reset-keepalive.server.pcap', import.meta.url));

interface AnalyzeFlags {
  json?: boolean;
  events?: boolean;
  html?: string;
  port: number[];
  host: string[];
  conn: number[];
  color: boolean;
  maxMemory: number;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('analyse pcap/pcapng captures (also gzip, or - for stdin): per-connection state, keepalives, resets')
    .argument('[files...]', 'capture files; "-" reads stdin; none = the bundled lab capture')
    .option('--json', 'print one JSON document (schema: src/model/analysis-report.ts)')
    .addOption(new Option('--events', 'print one JSON object per TCP packet (JSON Lines)').conflicts('json'))
    .addOption(
      new Option('--html <file>', 'also write a self-contained HTML report (verdicts, evidence, timelines) to <file>').conflicts('events'),
    )
    .option(
      '--max-memory <size>',
      'bound the connection state kept (records and events, e.g. 512M, 2G): past half of it, connections that ended are tallied and forgotten (with one capture)',
      byteSize,
      DEFAULT_MAX_MEMORY,
    )
    .option('--port <port>', 'only connections with this port (repeatable, or comma-separated)', listOf(tcpPort), [])
    .option('--host <addr>', 'only connections with this address (repeatable, or comma-separated)', listOf(ipAddress), [])
    .option(
      '--conn <n>',
      'only connection number n (repeatable, or comma-separated); a number no capture has is an error (exit status 2)',
      listOf(connectionNumber),
      [],
    )
    .option('--no-color', 'never colour the report')
    .addHelpText(
      'after',
      '\nExamples:\n  kad analyze\n  kad analyze server.pcapng --port 5432\n  tcpdump -U -w - -i eth0 tcp | kad analyze -\n  kad analyze capture.pcap.gz --events | jq \'select(.kind=="rst")\'',
    )
    .action(async (files: string[], flags: AnalyzeFlags) => {
      await runAnalyze(files.length ? files : [DEFAULT_CAPTURE], flags);
    });
}

/** Diagnoses decided without words, each worded as it is asked for (those of evicted connections already are). */
function* worded(list: readonly ConnectionDiagnosis[], diagnosis: CaptureDiagnosis): Generator<ConnectionDiagnosis> {
  for (const d of list) yield diagnosis.explainConnection(d.conn) ?? d;
}

async function runAnalyze(files: string[], flags: AnalyzeFlags): Promise<void> {
  if (files.filter((f) => f === '-').length > 1) throw new UserError('stdin ("-") can be read only once');
  const filter: ConnectionFilter = { ports: flags.port, hosts: flags.host, ids: flags.conn };
  const writer = flags.events ? new LineWriter() : null;
  // Loaded only when asked for: the terminal report, the common case, starts ~10 ms sooner without them.
  const lines = writer ? await import('../render/event-lines.js') : null;
  // Each capture's line texts, made once: checked here, before any output, and handed to its analysis.
  const lineTexts = new Map<string, ReturnType<typeof eventLinePhrases>>();
  for (const f of writer ? files : []) {
    const name = f === '-' ? 'stdin' : f;
    const texts = lines!.eventLinePhrases(files.length > 1 ? name : undefined);
    if (!fitsEventLines(texts)) throw new UserError(`${name}: the name is too long to label --events lines; analyze it on its own`);
    lineTexts.set(name, texts);
  }

  // --json and --html carry every connection; the terminal report builds and words only those it lists.
  const everything = Boolean(flags.json || flags.html);
  // --json of one capture words each verdict as it writes it, rather than holding them all worded at once.
  const wordAsWritten = Boolean(flags.json && !flags.html && files.length === 1);
  // Two-sided analysis matches every connection of one capture against the other's: it keeps them all.
  const retirer =
    files.length > 1 ? null : new ConnectionRetirer(filter, everything ? MAX_KEPT_IN_FULL : MAX_LISTED, flags.maxMemory, !writer);
  const run = await analyzeFiles(files, {
    diagnose: !writer,
    explain: everything && !wordAsWritten,
    evictor: retirer ?? undefined,
    eventLines: (name) => (writer ? { ...lineTexts.get(name)!, write: (b) => writer.writeBytes(b) } : undefined),
    // Unfiltered, the WebAssembly walk writes every line itself; filtered, each frame is tracked alone and the filter's rule stays in passesFilter.
    keepEventLine: narrows(filter) ? keepByFilter(filter) : undefined,
  });
  const { analyses, diagnoses, comparisons, problems } = run;
  if (filter.ids?.length) {
    // A number that names no connection would otherwise give an empty report that looks like "nothing wrong".
    const found = new Set<number>();
    analyses.forEach((a) => {
      for (const r of reportedConnections(a, { ids: filter.ids }, retirer?.tally)) found.add(r.id);
    });
    const missing = filter.ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new UserError(
        `--conn ${missing.join(',')}: no such connection in ${files.join(', ')}; kad analyze without --conn lists them with their numbers`,
      );
    }
  }
  // --json alone makes its connection reports one at a time as it writes them (see json-report.ts).
  const listLimit = flags.html ? undefined : flags.json ? 0 : MAX_LISTED;
  const reports: FileReport[] = writer ? [] : analyses.map((a, i) => buildFileReport(a, filter, diagnoses[i], listLimit, retirer?.tally));
  // Captures of the same traffic conclude once, for every format alike.
  const merged = writer ? null : buildMergedView(run, reports);

  if (flags.html) {
    const { withTimelines } = await import('../report/connection-timeline.js');
    const { MAX_TIMELINES, renderHtmlReport, timelineTargets } = await import('../render/html-report.js');
    const withTl = reports.map((r, i) => withTimelines(analyses[i]!, r, timelineTargets(r), MAX_TIMELINES));
    const page = renderHtmlReport({ tool: 'keepalive-doctor', version: VERSION, files: withTl, comparisons, merged });
    await writeFile(flags.html, page).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`cannot write ${flags.html}: ${err.code ?? err.message}`);
    });
  }
  if (writer) writer.flush();
  else if (flags.json) {
    const doc: AnalysisReport = { tool: 'keepalive-doctor', version: VERSION, files: reports, comparisons, merged };
    const lazy: LazyArrays = new Map();
    if (listLimit === 0) {
      reports.forEach((r, i) => {
        const a = analyses[i]!;
        lazy.set(r.connections, () => reportedConnections(a, filter, retirer?.tally));
        if (wordAsWritten) lazy.set(r.diagnoses, () => worded(r.diagnoses, diagnoses[i]!));
      });
    }
    const out = new LineWriter();
    writeJson(out, doc, lazy);
    out.flush();
  } else {
    const style = makeStyle(flags.color && wantColor(process.stdout));
    if (merged)
      process.stdout.write(
        renderMergedView(
          merged,
          reports.map((r) => r.file),
          style,
        ) + '\n',
      );
    process.stdout.write(
      reports
        .filter((r) => r.tcpPackets > 0)
        .map((r) => renderFileReport(r, style, merged !== null))
        .join('\n'),
    );
    if (comparisons.length) process.stdout.write('\n' + renderComparisons(comparisons, style));
  }
  if (problems.length) {
    // One line per unreadable input; the last one carries the exit status.
    for (const p of problems.slice(0, -1)) process.stderr.write(`kad: ${p}\n`);
    throw new UserError(problems[problems.length - 1]!);
  }
}

/** Whether the packet just tracked passes the connection filter. */
function keepByFilter(filter: ConnectionFilter): (tracker: TcpTracker, pkt: DecodedTcp) => boolean {
  const byHost = (filter.hosts?.length ?? 0) > 0;
  return (tracker, pkt) => {
    // Addresses as text only for a --host filter: every packet would pay for them.
    const v6 = pkt.ipVersion === 6;
    const src = byHost ? addressText(pkt.src, 0, v6) : '';
    const dst = byHost ? addressText(pkt.dst, 0, v6) : '';
    return passesFilter(filter, tracker.lastId, pkt.srcPort, pkt.dstPort, src, dst);
  };
}

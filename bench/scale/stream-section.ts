/**
 * (b) The churn stream through `kad watch -r - --stats-interval 5000`: does
 * kad keep up with endless short-connection churn, and does its memory stay
 * flat? Rates come from kad's own stats lines (packets it has taken in), RSS
 * from /proc; both are cut into windows (a minute by default).
 */
import { pipeRun } from './pipe-run.js';
import { emptySection, fmtInt, fmtMiB, fmtRate, verdict, type SectionResult } from './scale-report.js';

export interface StreamOptions {
  packets: number;
  windowS: number;
  capMs: number;
}

const TARGET_PPS = 300_000;
const TARGET_RATIO = 0.9;
const TARGET_RSS_GROWTH = 1.2;

/** A stats line as kad received it: when, how many packets in all, kad's RSS then. */
interface StatsPoint {
  ms: number;
  packets: number;
  connections: number;
  rssKiB: number | null;
  /**
   * Highest RSS sampled between the previous stats line and this one: the
   * garbage collector swings a single sample by a gigabyte, so growth is
   * judged on interval peaks.
   */
  peakKiB: number | null;
}

export async function streamSection(o: StreamOptions): Promise<SectionResult> {
  const s = emptySection('b', `churn stream through kad watch -r - (${fmtInt(o.packets)} packets)`);
  const points: StatsPoint[] = [];
  const run = await pipeRun({
    label: 'stream',
    genArgs: ['--packets', String(o.packets)],
    kadArgs: ['watch', '-r', '-', '--stats-interval', '5000'],
    capMs: o.capMs,
    sampleMs: 250,
    progressMs: 10_000,
    onLine: (line, ms, mem) => {
      if (!line.startsWith('{"type":"stats"')) return;
      const j = JSON.parse(line) as { packets: number; connections: number };
      points.push({ ms, packets: j.packets, connections: j.connections, rssKiB: mem?.rssKiB ?? null, peakKiB: null });
    },
  });
  let since = 0;
  for (const p of points) {
    let peak = p.rssKiB;
    for (const x of run.samples) if (x.ms > since && x.ms <= p.ms && (peak === null || x.rssKiB > peak)) peak = x.rssKiB;
    p.peakKiB = peak;
    since = p.ms;
  }
  const last = points.at(-1);
  const packets = last?.packets ?? 0;
  const seconds = (last?.ms ?? run.wallMs) / 1000;
  const rate = seconds > 0 ? packets / seconds : 0;

  // Windows: the packets kad had at the last stats line inside each window, against the one before.
  const winMs = o.windowS * 1000;
  const rows: string[][] = [];
  const rates: Array<{ rate: number; full: boolean }> = [];
  let prev = { ms: 0, packets: 0 };
  const windows = Math.ceil(run.wallMs / winMs);
  for (let w = 0; w < windows; w++) {
    const inside = points.filter((p) => p.ms > w * winMs && p.ms <= (w + 1) * winMs);
    const end = inside.at(-1);
    const inWindow = run.samples.filter((x) => x.ms > w * winMs && x.ms <= (w + 1) * winMs);
    const rss = inWindow.at(-1);
    const maxRss = inWindow.reduce((m, x) => Math.max(m, x.rssKiB), 0);
    const full = (w + 1) * winMs <= run.wallMs;
    if (!end) {
      rows.push([String(w + 1), '-', '-', rss ? fmtMiB(rss.rssKiB) : '-', rss ? fmtMiB(maxRss) : '-', full ? '' : 'partial']);
      continue;
    }
    const r = end.ms > prev.ms ? ((end.packets - prev.packets) * 1000) / (end.ms - prev.ms) : 0;
    rates.push({ rate: r, full });
    rows.push([
      String(w + 1),
      fmtInt(end.packets),
      fmtRate(r),
      rss ? fmtMiB(rss.rssKiB) : '-',
      rss ? fmtMiB(maxRss) : '-',
      full ? '' : 'partial',
    ]);
    prev = end;
  }
  s.tables.push({
    title: `per ${o.windowS} s of wall time (packets and rate from kad's stats lines; RSS = last /proc sample in the window, max RSS = highest)`,
    header: ['window', 'kad packets', 'packets/s', 'RSS', 'max RSS', ''],
    rows,
  });

  const full = rates.filter((x) => x.full);
  const first = full[0]?.rate ?? null;
  const lastFull = full.length >= 2 ? full.at(-1)!.rate : null;
  const ratio = first && lastFull !== null ? lastFull / first : null;

  // RSS when kad had taken a tenth of the packets vs at the end (from the stats lines, which carry RSS).
  const tenth = points.find((p) => p.packets >= o.packets / 10 && p.peakKiB !== null);
  const endRss = [...points].reverse().find((p) => p.peakKiB !== null);
  const growth = tenth?.peakKiB && endRss?.peakKiB && endRss !== tenth ? endRss.peakKiB / tenth.peakKiB : null;
  const hwm = run.samples.at(-1)?.hwmKiB ?? null;
  const ended = run.timedOut ? `killed at the ${o.capMs / 1000} s cap` : run.code === 0 ? 'exit 0' : `exit ${run.code ?? run.signal}`;

  s.metrics.push(
    { metric: 'kad run', value: ended, target: 'exit 0', verdict: verdict(!run.timedOut && run.code === 0) },
    { metric: 'packets kad counted', value: `${fmtInt(packets)} of ${fmtInt(run.genPackets)} written` },
    { metric: 'wall time', value: `${(run.wallMs / 1000).toFixed(1)} s` },
    { metric: 'packets/s (whole run)', value: fmtRate(rate), target: `>= ${fmtRate(TARGET_PPS)}`, verdict: verdict(rate >= TARGET_PPS) },
    {
      metric: 'last full window / first',
      value: ratio === null ? 'n/a (fewer than 2 full windows)' : `${(ratio * 100).toFixed(1)} %`,
      target: `>= ${TARGET_RATIO * 100} %`,
      verdict: verdict(ratio === null ? null : ratio >= TARGET_RATIO),
    },
    {
      metric: 'RSS at end / at 1/10 of the packets (interval peaks)',
      value:
        growth === null
          ? 'n/a'
          : `${growth.toFixed(2)} (${fmtMiB(endRss!.peakKiB!)} at ${fmtInt(endRss!.packets)} vs ${fmtMiB(tenth!.peakKiB!)} at ${fmtInt(tenth!.packets)})`,
      target: `<= ${TARGET_RSS_GROWTH}`,
      verdict: verdict(growth === null ? null : growth <= TARGET_RSS_GROWTH),
    },
    { metric: 'peak RSS (VmHWM)', value: hwm === null ? 'n/a' : fmtMiB(hwm) },
    { metric: 'connections kad holds at the end', value: last ? fmtInt(last.connections) : 'n/a' },
  );
  if (run.stderrHead.trim()) s.notes.push(`kad stderr: ${run.stderrHead.trim().split('\n').slice(0, 5).join(' | ')}`);
  s.data = {
    packetsRequested: o.packets,
    packetsWritten: run.genPackets,
    packetsCounted: packets,
    exitCode: run.code,
    signal: run.signal,
    timedOut: run.timedOut,
    wallS: run.wallMs / 1000,
    packetsPerSec: rate,
    windowS: o.windowS,
    windowRates: rates.map((x) => x.rate),
    lastOverFirst: ratio,
    rssTenthKiB: tenth?.peakKiB ?? null,
    rssTenthPackets: tenth?.packets ?? null,
    rssEndKiB: endRss?.peakKiB ?? null,
    rssEndPackets: endRss?.packets ?? null,
    rssGrowth: growth,
    vmHwmKiB: hwm,
    connections: last?.connections ?? null,
  };
  return s;
}

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CapturePipeline } from '../analyze/analyze-capture.js';
import { readCaptureStream } from '../capture/read-capture.js';
import { diagnoseCapture } from '../diagnose/diagnose-capture.js';
import type { ResetAttribution } from '../model/analysis-report.js';
import { connectionReport } from '../report/build-file-report.js';

/** What the capture says about one probe connection, found by its local port. */
export interface CapturedConnection {
  localPort: number;
  /** Epoch s of its first packet, to tell apart two trials that got the same port. */
  startS: number;
  resets: Array<{ attribution: ResetAttribution; confidence: number; idleBeforeS: number | null; why: string }>;
  silentDrop: { kind: string; keepalives: number; retransmissions: number } | null;
  /** The capture's own measure of the silence before the first keepalive probe, s. */
  keepaliveIdleS: number | null;
}

export interface CaptureFindings {
  interface: string;
  packets: number;
  connections: CapturedConnection[];
  error: string | null;
}

export interface ProbeCapture {
  stop(): Promise<CaptureFindings>;
}

const READY_MS = 5000;
const SNAPLEN = '256';

/**
 * tcpdump on the probe's own flows only (host and port of the target), its
 * pcap stream analysed as it arrives by the same code as `kad analyze`.
 * Resolves to a reason instead when capturing is not possible here.
 */
export function startProbeCapture(address: string, port: number, iface: string): Promise<ProbeCapture | { unavailable: string }> {
  const filter = `tcp and host ${address} and port ${port}`;
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn('tcpdump', ['-i', iface, '-n', '--immediate-mode', '-U', '-s', SNAPLEN, '-w', '-', filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    return Promise.resolve({ unavailable: `tcpdump: ${err instanceof Error ? err.message : String(err)}` });
  }
  const pipeline = new CapturePipeline(`tcpdump -i ${iface}`);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let stderr = '';
  let readError: string | null = null;
  const reading = readCaptureStream(child.stdout, pipeline.onPacket, { displayName: `tcpdump -i ${iface}` }).then(
    () => undefined,
    (err: unknown) => void (readError = err instanceof Error ? err.message : String(err)),
  );

  const stop = async (): Promise<CaptureFindings> => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT: tcpdump flushes what it has and ends the stream cleanly.
      child.kill('SIGINT');
      const late = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(late);
    }
    await reading;
    return findings(pipeline, iface, readError);
  };

  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void stop();
      resolve({ unavailable: `tcpdump did not start within ${READY_MS / 1000} s` });
    }, READY_MS);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ unavailable: err.code === 'ENOENT' ? 'tcpdump is not installed' : `tcpdump: ${err.message}` });
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve({ stop });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      const why = stderr
        .trim()
        .replace(/^tcpdump: /, '')
        .replace(/\s*\n\s*/g, ' ');
      resolve({
        unavailable: /permission|not permitted/i.test(why)
          ? `no permission to capture: ${why}; run as root for RST attribution`
          : `tcpdump exited: ${why}`,
      });
    });
  });
}

function findings(pipeline: CapturePipeline, iface: string, error: string | null): CaptureFindings {
  const analysis = pipeline.analysis();
  const diag = diagnoseCapture(analysis);
  const byConn = new Map(diag.diagnoses.map((d) => [d.conn, d]));
  const connections: CapturedConnection[] = [];
  const tracker = analysis.tracker;
  for (let c = 0; c < tracker.connectionCount; c++) {
    const r = connectionReport(tracker, c);
    const d = byConn.get(analysis.tracker.store.id(c));
    const keepaliveIdle =
      d?.resets.find((v) => v.trigger?.kind === 'keepalive')?.trigger?.idleBeforeS ?? d?.silentDrop?.idleBeforeS ?? null;
    connections.push({
      localPort: r.client.port,
      startS: Number(r.start),
      resets: (d?.resets ?? []).map((v) => ({
        attribution: v.attribution,
        confidence: v.confidence,
        idleBeforeS: v.trigger?.idleBeforeS ?? null,
        why: v.evidence.find((e) => e.pointsTo === v.attribution && (e.strength === 'decisive' || e.strength === 'strong'))?.detail ?? '',
      })),
      silentDrop: d?.silentDrop
        ? { kind: d.silentDrop.kind, keepalives: d.silentDrop.keepalives, retransmissions: d.silentDrop.retransmissions }
        : null,
      keepaliveIdleS: keepaliveIdle,
    });
  }
  return { interface: iface, packets: analysis.frames, connections, error };
}

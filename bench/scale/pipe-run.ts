/**
 * One measured run of `churn-stream | kad …`: the two processes joined by a
 * pipe (the harness only watches), kad's memory sampled from /proc, its stdout
 * lines handed over as they come, and kad killed by PID if it outlives the cap.
 * A kad that fails or is killed is a result, not an exception.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChurnTruth } from './churn-generator.js';
import { killChild, track } from './children.js';
import { readProcMemory, type ProcMemory } from './proc-status.js';

export const KAD = fileURLToPath(new URL('../../../bin/kad', import.meta.url));
export const CHURN = fileURLToPath(new URL('./churn-stream.js', import.meta.url));

export interface MemorySample extends ProcMemory {
  /** ms since kad started. */
  ms: number;
  /** Packets the generator had written by then. */
  genPackets: number;
}

export interface PipeRunOptions {
  genArgs: string[];
  kadArgs: string[];
  capMs: number;
  sampleMs: number;
  /** Each line kad prints on stdout, with ms since kad started and its memory then. */
  onLine?: (line: string, ms: number, mem: ProcMemory | null) => void;
  /** Progress on the harness's stderr every this many ms (0 = none). */
  progressMs: number;
  label: string;
}

export interface PipeRunResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  wallMs: number;
  samples: MemorySample[];
  stdoutLines: number;
  stdoutHead: string[];
  stderrHead: string;
  genPackets: number;
  genTruth: ChurnTruth | null;
}

const HEAD_LINES = 40;

export function pipeRun(o: PipeRunOptions): Promise<PipeRunResult> {
  return new Promise((resolve) => {
    const gen = track(spawn(process.execPath, [CHURN, ...o.genArgs, '--progress-ms', '200'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const kad = track(
      spawn(process.execPath, [KAD, ...o.kadArgs], { stdio: [gen.stdout!, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }),
    );
    // kad holds its own copy of the read end now: closing ours lets the generator see EPIPE when kad exits.
    gen.stdout!.destroy();
    const t0 = Date.now();
    const r: PipeRunResult = {
      code: null,
      signal: null,
      timedOut: false,
      wallMs: 0,
      samples: [],
      stdoutLines: 0,
      stdoutHead: [],
      stderrHead: '',
      genPackets: 0,
      genTruth: null,
    };

    let genErr = '';
    gen.stderr!.setEncoding('utf8').on('data', (s: string) => {
      genErr += s;
      const lines = genErr.split('\n');
      genErr = lines.pop() ?? '';
      for (const l of lines) {
        try {
          const m = JSON.parse(l) as { type: string; packets: number };
          r.genPackets = m.packets;
          if (m.type === 'truth') r.genTruth = m as unknown as ChurnTruth;
        } catch {
          if (r.stderrHead.length < 2000) r.stderrHead += `generator: ${l}\n`;
        }
      }
    });

    let out = '';
    kad.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) {
        r.stdoutLines++;
        if (r.stdoutHead.length < HEAD_LINES) r.stdoutHead.push(l);
        o.onLine?.(l, Date.now() - t0, kad.pid === undefined ? null : readProcMemory(kad.pid));
      }
    });
    kad.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (r.stderrHead.length < 4000) r.stderrHead += s;
    });

    const sample = (): void => {
      const m = kad.pid === undefined ? null : readProcMemory(kad.pid);
      if (m) r.samples.push({ ...m, ms: Date.now() - t0, genPackets: r.genPackets });
    };
    const sampler = setInterval(sample, o.sampleMs);
    let lastProgress = t0;
    const progress = setInterval(() => {
      const last = r.samples.at(-1);
      if (o.progressMs > 0 && Date.now() - lastProgress >= o.progressMs) {
        lastProgress = Date.now();
        process.stderr.write(
          `  [${o.label}] ${((Date.now() - t0) / 1000).toFixed(0)} s: generator ${r.genPackets.toLocaleString('en-US')} packets` +
            (last ? `, kad RSS ${(last.rssKiB / 1024).toFixed(0)} MiB` : '') +
            '\n',
        );
      }
    }, 1000);
    const cap = setTimeout(() => {
      r.timedOut = true;
      process.stderr.write(`  [${o.label}] time cap of ${o.capMs / 1000} s reached: killing kad (PID ${kad.pid})\n`);
      killChild(kad);
    }, o.capMs);

    let kadDone = false;
    let genDone = false;
    const finish = (): void => {
      if (!kadDone || !genDone) return;
      clearInterval(sampler);
      clearInterval(progress);
      clearTimeout(cap);
      resolve(r);
    };
    kad.on('close', (code, signal) => {
      r.code = code;
      r.signal = signal;
      r.wallMs = Date.now() - t0;
      kadDone = true;
      // The generator ends on EPIPE by itself; a stuck one is ended by PID.
      setTimeout(() => killChild(gen), 3000).unref();
      finish();
    });
    kad.on('error', (err) => {
      r.stderrHead += `spawn failed: ${err.message}\n`;
    });
    gen.on('close', () => {
      genDone = true;
      finish();
    });
    // One sample right away, so even a kad that dies at once has one.
    setTimeout(sample, 50);
  });
}

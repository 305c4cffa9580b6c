import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateBusyCapture } from '../bench/synth-busy.js';
import { KAD } from './helpers/run-kad.js';

const dir = mkdtempSync(join(tmpdir(), 'kad-backpressure-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function peakRssBytes(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // already gone
  }
}

/** Peak RSS of `kad analyze MODE FILE` writing into a pipe that is not read for a while, and how much it wrote. */
async function pausedReaderRun(mode: string, file: string): Promise<{ peak: number; bytes: number }> {
  const child = spawn(process.execPath, [KAD, 'analyze', mode, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout.pause();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await sleep(3000);
  let peak = peakRssBytes(child.pid!);
  let bytes = 0;
  child.stdout.on('data', (b: Buffer) => {
    bytes += b.length;
    peak = Math.max(peak, peakRssBytes(child.pid!));
  });
  child.stdout.resume();
  assert.equal(await exited, 0, stderr);
  return { peak, bytes };
}

/** Peak RSS of the same command writing to a file: what the analysis itself needs. */
async function fileRun(mode: string, file: string): Promise<number> {
  const out = openSync(join(dir, 'out'), 'w');
  const child = spawn(process.execPath, [KAD, 'analyze', mode, file], { stdio: ['ignore', out, 'ignore'] });
  let peak = 0;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const poll = setInterval(() => (peak = Math.max(peak, peakRssBytes(child.pid!))), 50);
  const code = await exited;
  clearInterval(poll);
  closeSync(out);
  assert.equal(code, 0);
  return peak;
}

// A slow reader (`| jq`) must make kad wait, not make it hold the unread output in memory.
const file = join(dir, 'busy.pcap');
generateBusyCapture(file, { connections: 40_000, seed: 11, snaplen: 128, prefixFrames: 1000 });
for (const mode of ['--events', '--json']) {
  test(`kad analyze ${mode} waits for a slow reader instead of queueing its output in memory`, async () => {
    const own = await fileRun(mode, file);
    const { peak, bytes } = await pausedReaderRun(mode, file);
    assert.ok(bytes > 64 * 1024 * 1024, `only ${bytes} bytes of output: the test needs much more than kad's own memory`);
    // Queued output would add the output's size to the peak; waiting adds at most a chunk or two.
    const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`;
    assert.ok(
      peak > 0 && peak < own + 48 * 1048576,
      `peak RSS ${mib(peak)} behind a slow reader, ${mib(own)} writing to a file, for ${mib(bytes)} of output`,
    );
  });
}

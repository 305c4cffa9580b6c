import { spawn } from 'node:child_process';
import { LabError, stopChild } from './exec.js';
import type { Cleanup } from './cleanup.js';

export interface CaptureStats {
  captured: number | null;
  droppedByKernel: number | null;
}

export interface Capture {
  file: string;
  /** Stops tcpdump (by its PID) and returns its own packet counts. */
  stop(): Promise<CaptureStats>;
}

/** Headers only: TCP/IP with options fits easily, and the captures stay small enough to commit. */
export const SNAPLEN = 256;
const READY_TIMEOUT_MS = 5000;

function countOf(stderr: string, what: string): number | null {
  const m = new RegExp(`(\\d+) packets? ${what}`).exec(stderr);
  return m ? Number(m[1]) : null;
}

/**
 * tcpdump on one interface inside a namespace. Resolves only once tcpdump
 * says it is listening: traffic sent before that would be missing from the
 * capture, and the ground truth would then describe packets that are not there.
 */
/** UDP "discard" port of the end-of-capture marker (see run-scenario.ts). */
export const END_MARKER_PORT = 9;

export function startCapture(ns: string, iface: string, file: string, cleanup: Cleanup): Promise<Capture> {
  // -Z root: tcpdump would otherwise drop to user "tcpdump" before opening the
  // file, which then cannot write into the lab's private (0700) work directory.
  // --immediate-mode: otherwise packets wait in the kernel ring for a full
  // block or timeout, and the last ones (the RST we are here for) can be lost at stop.
  const args = [
    'netns',
    'exec',
    ns,
    'tcpdump',
    '-i',
    iface,
    '-n',
    '--immediate-mode',
    '-U',
    '-s',
    String(SNAPLEN),
    '-Z',
    'root',
    '-w',
    file,
    `tcp or udp port ${END_MARKER_PORT}`,
  ];
  const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let stopped = false;
  const stop = async (): Promise<CaptureStats> => {
    if (!stopped) {
      stopped = true;
      // SIGINT makes tcpdump flush, close the file and print its counts.
      await stopChild(child, exited, 'SIGINT');
    }
    return { captured: countOf(stderr, 'captured'), droppedByKernel: countOf(stderr, 'dropped by kernel') };
  };
  cleanup.add(
    `stop tcpdump on ${ns}/${iface}`,
    async () => void (await stop()),
    () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LabError(`tcpdump on ${ns}/${iface} did not start within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`)),
      READY_TIMEOUT_MS,
    );
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve({ file, stop });
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new LabError(`tcpdump: ${err.message}`));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new LabError(`tcpdump on ${ns}/${iface} exited: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}

/**
 * Memory of a running process from /proc/PID/status: VmRSS now and VmHWM, the
 * peak RSS the kernel has seen. Sampled from outside, so the measured process
 * needs no cooperation and a run that dies still leaves its last sample.
 */
import { readFileSync } from 'node:fs';

export interface ProcMemory {
  rssKiB: number;
  hwmKiB: number;
}

/** Null once the process is gone (or never was). */
export function readProcMemory(pid: number): ProcMemory | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const rssKiB = kib('VmRSS');
  // A zombie has no memory lines left: count that as gone.
  if (!Number.isFinite(rssKiB)) return null;
  return { rssKiB, hwmKiB: kib('VmHWM') };
}

import { InvalidArgumentError } from 'commander';
import { UserError } from '../model/errors.js';
import { parseCount, parseDurationSeconds } from '../recommend/duration.js';
import { addressText, parseAddress } from '../util/ip-text.js';

/**
 * Every command's option values are read here, so "5x" is refused with the
 * same words and the same exit status (2, through commander) whichever
 * command it was given to.
 */

const DURATION_EXAMPLES = '350, 350s, 5m, 1h or 1m30s';

/** Seconds > 0 from "350", "350s", "5m", "1h", "1m30s". */
export function durationSeconds(s: string): number {
  const v = parseDurationSeconds(s);
  if (v === null || v <= 0) throw new InvalidArgumentError(`"${s}" is not a duration (${DURATION_EXAMPLES})`);
  return v;
}

/** Whole numbers ≥ min, with k and M suffixes ("100k"). */
export function wholeNumber(what: string, min = 1) {
  return (s: string): number => {
    const n = parseCount(s);
    if (n === null || n < min)
      throw new InvalidArgumentError(`"${s}" is not a ${what} (a whole number ≥ ${min}; k and M suffixes allowed)`);
    return n;
  };
}

/** Milliseconds ≥ min; 0 too when it means something (zeroMeans says what). */
export function milliseconds(min: number, zeroMeans?: string) {
  return (s: string): number => {
    const n = Number(s);
    if (s.trim() !== '' && Number.isInteger(n) && (n >= min || (n === 0 && zeroMeans !== undefined))) return n;
    throw new InvalidArgumentError(`"${s}" is not a number of milliseconds ≥ ${min}${zeroMeans ? ` (or 0: ${zeroMeans})` : ''}`);
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A memory size: "512M", "2G", "65536", "64k" (binary units; a trailing B or iB is allowed). */
export function byteSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(s);
  const n = m ? Math.floor(Number(m[1]) * BYTE_UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!Number.isFinite(n) || n < 64 * 1024) throw new InvalidArgumentError(`"${s}" is not a memory size of at least 64k (e.g. 512M, 2G)`);
  return n;
}

/** What captures live packets: libpcap in-process through cap, or a tcpdump child feeding a pcap stream. */
export const CAPTURE_TOOLS = ['cap', 'kad-capture', 'tcpdump'] as const;
export type CaptureTool = (typeof CAPTURE_TOOLS)[number];

export function captureTool(s: string): CaptureTool {
  const tool = CAPTURE_TOOLS.find((t) => t === s);
  if (tool) return tool;
  throw new InvalidArgumentError(`"${s}" is not a capture tool (${CAPTURE_TOOLS.join(', ')})`);
}

export function tcpPort(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${s}" is not a TCP port (0-65535)`);
  return n;
}

export function connectionNumber(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${s}" is not a connection number (1, 2, …)`);
  return n;
}

/** An address, normalised so it compares with report text. */
export function ipAddress(s: string): string {
  const a = parseAddress(s);
  if (!a) throw new InvalidArgumentError(`"${s}" is not an IPv4 or IPv6 address`);
  return addressText(a.words, 0, a.ipv6);
}

/** "10", "0.5", "0" or "max" (as fast as possible) → capture seconds per wall second. */
export function replaySpeed(s: string): number {
  if (s.trim().toLowerCase() === 'max') return 0;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${s}" is not a speed (a number ≥ 0, or "max")`);
  return n;
}

/** Repeatable, comma-separated values: "--port 80,443 --port 22". */
export function listOf<T>(parse: (s: string) => T) {
  return (value: string, previous: T[] = []): T[] => previous.concat(value.split(',').filter(Boolean).map(parse));
}

/** A value read after commander's parse (from a list, or only when needed): the same words, as a UserError. */
export function optionValue<T>(flag: string, text: string, parse: (s: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UserError(`${flag}: ${err.message}`);
    throw err;
  }
}

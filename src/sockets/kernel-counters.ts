import type { ProcSource } from './proc-source.js';
import { KERNEL_COUNTERS } from './counter-meanings.js';

/**
 * /proc/net/netstat and /proc/net/snmp print their counters as line pairs:
 * a header line `Group: Name1 Name2 …` followed by a value line
 * `Group: v1 v2 …` (net/ipv4/proc.c). Returns every counter as
 * `Group.Name` → value. Counters are unsigned 64-bit; a double holds them
 * exactly up to 2^53, which no counter reaches in practice.
 */
export function parseCounterPairs(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i]!.trim().split(/\s+/);
    const vals = lines[i + 1]!.trim().split(/\s+/);
    const group = head[0];
    // A pair: same group prefix, and the second line all numbers (MaxConn is -1: signed).
    if (group === undefined || !group.endsWith(':') || vals[0] !== group || head.length !== vals.length) continue;
    if (!vals.slice(1).every((v) => /^-?\d+$/.test(v))) continue;
    const g = group.slice(0, -1);
    for (let k = 1; k < head.length; k++) out.set(`${g}.${head[k]}`, Number(vals[k]));
    i++;
  }
  return out;
}

/** The listed counters' values; a counter this kernel does not print is absent, never 0. */
export type CounterValues = Record<string, number>;

export interface CounterRead {
  values: CounterValues;
  /** Files that could not be read (e.g. a fake tree without snmp). */
  unreadable: string[];
}

/** The counters of KERNEL_COUNTERS, from this network namespace's /proc/net/{netstat,snmp}. */
export function readKernelCounters(source: ProcSource): CounterRead {
  const values: CounterValues = {};
  const unreadable: string[] = [];
  const parsed = new Map<string, Map<string, number>>();
  for (const file of new Set(KERNEL_COUNTERS.map((c) => c.file))) {
    const r = source.read(file);
    if (r.ok) parsed.set(file, parseCounterPairs(r.text));
    else unreadable.push(`${source.roots.procRoot}/${file}`);
  }
  for (const c of KERNEL_COUNTERS) {
    const v = parsed.get(c.file)?.get(`${c.group}.${c.name}`);
    if (v !== undefined) values[c.name] = v;
  }
  return { values, unreadable };
}

/**
 * Increase of each counter between two reads. A counter that went down
 * (the namespace was recreated, or a 32-bit wrap) restarts from the new
 * value: counting the drop as negative would hide events.
 */
export function counterDeltas(prev: CounterValues, cur: CounterValues): CounterValues {
  const out: CounterValues = {};
  for (const [name, v] of Object.entries(cur)) {
    const p = prev[name];
    out[name] = p === undefined ? 0 : v >= p ? v - p : v;
  }
  return out;
}

/** Deltas since the previous take() (the first: since construction), for stats lines and metrics. */
export class CounterDeltas {
  private prev: CounterValues;

  constructor(private readonly source: ProcSource) {
    this.prev = readKernelCounters(source).values;
  }

  /** Every listed counter's increase since the last call. */
  take(): CounterValues {
    const cur = readKernelCounters(this.source).values;
    const d = counterDeltas(this.prev, cur);
    this.prev = cur;
    return d;
  }
}

/** Only the counters that moved: what a stats line prints (absent means 0). */
export function nonZero(values: CounterValues): CounterValues {
  const out: CounterValues = {};
  for (const [k, v] of Object.entries(values)) if (v !== 0) out[k] = v;
  return out;
}

import { counterMeaning } from './counter-meanings.js';
import { CounterDeltas, nonZero, type CounterValues } from './kernel-counters.js';
import { listenerHealth, readListeners, type ListenerHealth, type ListenerRead } from './listeners.js';
import type { ProcSource } from './proc-source.js';

/**
 * What the host says about set-up trouble, read together on one cadence:
 * every listener's health and the kernel counters that moved. `kad watch`
 * prints it as lines, `kad live` as log lines and a header count.
 */
export interface HostHealth {
  listeners: ListenerHealth[];
  listenerSource: ListenerRead['source'];
  /** Counters that went up since the previous read (absent = 0). */
  counters: CounterValues;
}

/** Every listener's health, with somaxconn from this namespace (the cap the kernel puts on a backlog). */
export async function readListenerHealth(proc: ProcSource): Promise<{ health: ListenerHealth[]; source: ListenerRead['source'] }> {
  const l = await readListeners();
  const somaxconn = proc.sysctl('net.core.somaxconn');
  const max = somaxconn.ok ? Number(somaxconn.text) : null;
  return { health: l.listeners.map((x) => listenerHealth(x, max)), source: l.source };
}

export class HostHealthReader {
  private readonly deltas: CounterDeltas;

  constructor(private readonly proc: ProcSource) {
    this.deltas = new CounterDeltas(proc);
  }

  async read(): Promise<HostHealth> {
    const { health, source } = await readListenerHealth(this.proc);
    return { listeners: health, listenerSource: source, counters: nonZero(this.deltas.take()) };
  }
}

/**
 * The listeners worth a line now: at risk or capped and not so at the
 * previous read, so a queue that stays full is said once, and again only
 * after it recovered.
 */
export class ListenerAlerts {
  private said = new Set<string>();

  fresh(health: readonly ListenerHealth[]): ListenerHealth[] {
    const now = new Set<string>();
    const out: ListenerHealth[] = [];
    for (const h of health) {
      if (h.verdict === null) continue;
      const key = `${h.listener} ${h.atRisk ? 'risk' : 'capped'}`;
      now.add(key);
      if (!this.said.has(key)) out.push(h);
    }
    this.said = now;
    return out;
  }
}

/**
 * "ListenOverflows +3, TCPTimeouts +12" for the counters that moved, and
 * the meanings of those not explained before (each counter is explained
 * the first time it is shown, in one line).
 */
export class CounterNotes {
  private readonly explained = new Set<string>();

  lines(moved: CounterValues): { summary: string | null; meanings: string[] } {
    const names = Object.keys(moved);
    if (names.length === 0) return { summary: null, meanings: [] };
    const summary = names.map((n) => `${n} +${moved[n]}`).join(', ');
    const meanings: string[] = [];
    for (const n of names) {
      if (this.explained.has(n)) continue;
      this.explained.add(n);
      const m = counterMeaning(n);
      if (m) meanings.push(`${n}: ${m.meaning}`);
    }
    return { summary, meanings };
  }
}

import type { ConnectionDiagnosis, ProblemGroup } from '../model/analysis-report.js';
import { median } from '../util/median.js';

/**
 * Idle times kept per group for its median. Past this many, a reservoir
 * sample stands in for them: memory stays bounded on an endless stream, and
 * a median of 50 000 samples is within a hair of the true one.
 */
const MAX_IDLE_SAMPLES = 50_000;

interface Tally {
  group: Omit<ProblemGroup, 'connections' | 'idleMedianS' | 'idleMinS' | 'idleMaxS' | 'minConfidence'>;
  /** Number of the group's first connection: groups are listed in that order. */
  firstId: number;
  connections: number;
  idles: number[];
  /** Idle times offered so far (the reservoir's denominator). */
  idlesSeen: number;
  /** Exact over every idle time offered, not the reservoir's. */
  idleMin: number;
  idleMax: number;
  minConfidence: number | null;
}

/**
 * One problem per diagnosis: a failed set-up (the cause, whatever RSTs it
 * led to), else its first RST, unless the stack reset it after unanswered
 * probes (the silence is the story).
 */
export function problemOf(d: ConnectionDiagnosis): { group: Tally['group']; idle: number | null; confidence: number | null } | null {
  if (d.setup) {
    return {
      group: { path: d.path, problem: { kind: 'setup', setup: d.setup.kind }, side: 'client' },
      idle: null,
      confidence: d.setup.confidence,
    };
  }
  const first = d.resets[0];
  if (first && !(d.silentDrop && first.attribution === 'local-stack')) {
    const idle = first.trigger && first.trigger.idleBeforeS >= 1 ? first.trigger.idleBeforeS : null;
    const group: Tally['group'] = { path: d.path, problem: { kind: 'reset', attribution: first.attribution }, side: first.claimedSender };
    return { group, idle, confidence: first.confidence };
  }
  if (d.silentDrop) {
    const drop = d.silentDrop;
    const group: Tally['group'] = { path: d.path, problem: { kind: 'silent-drop', drop: drop.kind }, side: drop.sender };
    return { group, idle: drop.idleBeforeS, confidence: null };
  }
  return null;
}

function lowest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function keyOf(g: Tally['group']): string {
  const p = g.problem;
  return `${g.path}\u0000${p.kind}:${p.kind === 'reset' ? p.attribution : p.kind === 'setup' ? p.setup : p.drop}\u0000${g.side}`;
}

/** The group a diagnosis falls in (same path, same problem, same side), as a key; null when it shows no problem. */
export function problemKey(d: ConnectionDiagnosis): string | null {
  const p = problemOf(d);
  return p === null ? null : keyOf(p.group);
}

/**
 * Diagnoses grouped by path and kind of problem, with a count and a median
 * idle time each. Tallies add up: connections evicted earlier are grouped
 * as they go, and the report merges them with the ones still held.
 */
export class ProblemGroupTally {
  private readonly tallies = new Map<string, Tally>();
  /** Deterministic reservoir draws (a 32-bit LCG): the same input gives the same report. */
  private seed = 0x9e3779b9;

  add(d: ConnectionDiagnosis): void {
    const p = problemOf(d);
    if (p === null) return;
    const key = keyOf(p.group);
    let t = this.tallies.get(key);
    if (t === undefined) {
      t = {
        group: p.group,
        firstId: d.conn,
        connections: 0,
        idles: [],
        idlesSeen: 0,
        idleMin: Infinity,
        idleMax: -Infinity,
        minConfidence: null,
      };
      this.tallies.set(key, t);
    } else if (d.conn < t.firstId) t.firstId = d.conn;
    t.connections++;
    t.minConfidence = lowest(t.minConfidence, p.confidence);
    if (p.idle !== null) this.sample(t, p.idle);
  }

  merge(other: ProblemGroupTally): void {
    for (const [key, o] of other.tallies) {
      const t = this.tallies.get(key);
      if (t === undefined) {
        this.tallies.set(key, { ...o, idles: o.idles.slice() });
        continue;
      }
      t.firstId = Math.min(t.firstId, o.firstId);
      t.connections += o.connections;
      t.minConfidence = lowest(t.minConfidence, o.minConfidence);
      for (const idle of o.idles) this.sample(t, idle);
      t.idleMin = Math.min(t.idleMin, o.idleMin);
      t.idleMax = Math.max(t.idleMax, o.idleMax);
    }
  }

  groups(): ProblemGroup[] {
    return [...this.tallies.values()]
      .sort((a, b) => a.firstId - b.firstId)
      .map((t) => {
        const known = t.idles.length > 0;
        return {
          ...t.group,
          connections: t.connections,
          idleMedianS: known ? median(t.idles) : null,
          idleMinS: known ? t.idleMin : null,
          idleMaxS: known ? t.idleMax : null,
          minConfidence: t.minConfidence,
        };
      });
  }

  private sample(t: Tally, idle: number): void {
    t.idlesSeen++;
    t.idleMin = Math.min(t.idleMin, idle);
    t.idleMax = Math.max(t.idleMax, idle);
    if (t.idles.length < MAX_IDLE_SAMPLES) {
      t.idles.push(idle);
      return;
    }
    this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0;
    const j = this.seed % t.idlesSeen;
    if (j < MAX_IDLE_SAMPLES) t.idles[j] = idle;
  }
}

/**
 * Asks the project's own `kad recommend` for a keepalive setting, so that the
 * keepalive-survives scenario proves (or disproves) that recommendation on a
 * real firewall. Falls back to a setting of its own, said so in the notes,
 * when the command is not there or answers something unusable.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_KEEPCNT, NODE_KEEPINTVL_S } from './scenario-kit.js';
import type { KeepaliveSetting } from './truth.js';

const KAD = fileURLToPath(new URL('../../bin/kad', import.meta.url));

export interface KeepaliveChoice {
  /** Whole seconds, as TCP_KEEPIDLE takes them. */
  idleS: number;
  source: string;
  recommended: KeepaliveSetting['recommended'];
  notes: string[];
}

interface RecommendJson {
  keepalive?: { timeS?: unknown; intervalS?: unknown; probes?: unknown };
}

function ask(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KAD, ...args], { timeout: 15000 }, (error, stdout, stderr) =>
      resolve({ ok: !error, out: stdout, err: stderr }),
    );
  });
}

export async function recommendKeepalive(idleTimeoutS: number): Promise<KeepaliveChoice> {
  const args = ['recommend', '--idle-timeout', `${idleTimeoutS}s`, '--json'];
  const command = `kad ${args.join(' ')}`;
  const answer = await ask(args);
  const fallback = (why: string): KeepaliveChoice => ({
    // Half the timeout leaves room for a late probe; TCP_KEEPIDLE cannot go below 1 s.
    idleS: Math.max(1, Math.floor(idleTimeoutS / 2)),
    source: `lab fallback (half the firewall timeout): ${command} ${why}`,
    recommended: null,
    notes: [`TODO: ${command} ${why}; the lab used its own fallback keepalive time instead.`],
  });
  if (!answer.ok) return fallback(`failed: ${(answer.err.trim().split('\n').pop() ?? '').slice(0, 200)}`);
  let ka: RecommendJson['keepalive'];
  try {
    ka = (JSON.parse(answer.out) as RecommendJson).keepalive;
  } catch {
    return fallback('did not print JSON');
  }
  const { timeS, intervalS, probes } = ka ?? {};
  if (typeof timeS !== 'number' || typeof intervalS !== 'number' || typeof probes !== 'number') {
    return fallback('printed no numeric keepalive.timeS/intervalS/probes');
  }
  const idleS = Math.max(1, Math.floor(timeS));
  const notes: string[] = [];
  if (idleS !== timeS)
    notes.push(`kad recommend proposed ${timeS} s; TCP_KEEPIDLE takes whole seconds (at least 1), so ${idleS} s was set.`);
  if (intervalS !== NODE_KEEPINTVL_S || probes !== NODE_KEEPCNT) {
    // Node (libuv) cannot set these; with every probe answered they never come into play.
    notes.push(
      `kad recommend proposed TCP_KEEPINTVL ${intervalS} s and TCP_KEEPCNT ${probes}; Node's setKeepAlive fixes them at ${NODE_KEEPINTVL_S} s and ${NODE_KEEPCNT}. They matter only once probes go unanswered, which does not happen here.`,
    );
  }
  return { idleS, source: command, recommended: { timeS, intervalS, probes }, notes };
}

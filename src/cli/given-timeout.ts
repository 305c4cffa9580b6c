import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ioError } from '../capture/io-error.js';
import { UserError } from '../model/errors.js';
import { findPreset, PRESETS } from '../recommend/presets.js';
import type { GivenTimeout, StatedTimeout } from '../sockets/at-risk.js';
import { durationSeconds } from './option-values.js';

/** The three ways to tell kad live, watch and tui the path's idle timeout. */
export interface TimeoutFlags {
  idleTimeout?: number;
  behind?: string;
  timeoutFrom?: string;
}

/** --idle-timeout, --behind, --timeout-from: one of them, each judged the same way (src/sockets/at-risk.ts). */
export function addTimeoutOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--idle-timeout <duration>',
        'middlebox idle timeout to judge idle connections against (e.g. 350, 5m); default: the one inferred from the traffic',
      )
        .argParser(durationSeconds)
        .conflicts(['behind', 'timeoutFrom']),
    )
    .addOption(
      new Option('--behind <preset>', "judge against a middlebox preset's default idle timeout (kad recommend --list-presets)").conflicts(
        'timeoutFrom',
      ),
    )
    .addOption(
      new Option('--timeout-from <file>', 'judge against the bracket a `kad probe --json` result measured (T > survived, T ≤ died)'),
    );
}

/** What the flags state, for every path; undefined when they state nothing (then each path's own inference counts). */
export function statedTimeout(flags: TimeoutFlags): StatedTimeout | undefined {
  if (flags.idleTimeout !== undefined) return flags.idleTimeout;
  if (flags.behind !== undefined) return fromPreset(flags.behind);
  if (flags.timeoutFrom !== undefined) return fromProbe(flags.timeoutFrom);
  return undefined;
}

function fromPreset(id: string): GivenTimeout {
  const p = findPreset(id);
  if (!p) throw new UserError(`unknown --behind preset "${id}"; known: ${PRESETS.map((x) => x.id).join(', ')}`);
  if (p.idleTimeoutS === null)
    throw new UserError(`--behind ${p.id}: ${p.name} has no default idle timeout; give yours with --idle-timeout`);
  return { lowS: p.idleTimeoutS, highS: p.idleTimeoutS, from: `--behind ${p.id} (${p.name})` };
}

const nullableSeconds = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0);

/** The bracket of a `kad probe --json` document (src/probe/probe-report.ts, `result`). */
function fromProbe(file: string): GivenTimeout {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--timeout-from: ${ioError(file, err).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UserError(`--timeout-from ${file}: not JSON; give the output of kad probe --json`);
  }
  const d = doc as {
    tool?: unknown;
    target?: { address?: unknown; port?: unknown };
    result?: { survivedMaxS?: unknown; diedMinS?: unknown };
  };
  const r = d?.result;
  if (
    d?.tool !== 'keepalive-doctor' ||
    typeof r !== 'object' ||
    r === null ||
    !nullableSeconds(r.survivedMaxS) ||
    !nullableSeconds(r.diedMinS)
  ) {
    throw new UserError(`--timeout-from ${file}: not a kad probe --json result (no result.survivedMaxS / result.diedMinS)`);
  }
  if (r.survivedMaxS === null && r.diedMinS === null) {
    throw new UserError(`--timeout-from ${file}: the probe bounded nothing (no trial survived or died); run kad probe again`);
  }
  const target = typeof d.target?.address === 'string' ? ` of ${d.target.address}:${String(d.target.port)}` : '';
  return { lowS: r.survivedMaxS, highS: r.diedMinS, from: `kad probe${target} (${file})` };
}

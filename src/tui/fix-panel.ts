import { renderFixText } from '../fix/render-fix.js';
import { runFix, type FixRequest } from '../fix/run-fix.js';
import { UserError } from '../model/errors.js';
import { DEFAULT_TOLERATED_LOSSES } from '../recommend/keepalive-solver.js';
import { recommend } from '../recommend/recommendation.js';
import { fillOwners } from '../sockets/socket-owners.js';
import { endpointText } from '../util/ip-text.js';
import type { ConnRow } from './conn-rows.js';

/** What the `F` overlay shows, and the change `y` would make (null: nothing to apply). */
export interface FixPanel {
  lines: string[];
  apply: FixRequest | null;
}

function note(text: string): FixPanel {
  return { lines: [text, '', 'any key closes'], apply: null };
}

/** kad fix's table for `request`, and whether the run found something to change. */
function ran(request: FixRequest, footer: string): { panel: FixPanel; changes: boolean } {
  try {
    const report = runFix(request);
    const changes = report.rows.some((r) => r.status === 'would-change');
    return {
      panel: { lines: [...renderFixText(report).trimEnd().split('\n'), '', changes ? footer : 'any key closes'], apply: null },
      changes,
    };
  } catch (err) {
    if (err instanceof UserError) return { panel: note(`kad fix: ${err.message}`), changes: false };
    throw err;
  }
}

/**
 * `kad fix`'s dry run for the selected connection's socket on this host,
 * with what `kad recommend` gives for the timeout its path is judged by.
 * Nothing changes until `y` (fixApply).
 */
export function fixDryRun(row: ConnRow | null): FixPanel {
  if (!row) return note('no connection selected');
  const s = row.socket;
  if (!s) return note('kad fix changes a socket of this host: this connection has none here (or kad runs without --sockets)');
  fillOwners([s]);
  if (s.pid === null) return note("the socket's owning process is not visible: run kad as root");
  const t = row.silence?.timeout ?? null;
  if (!t)
    return note('no timeout is known for this path yet: give --idle-timeout, --behind or --timeout-from, or wait until one is inferred');
  const rec = recommend({
    idleTimeoutsS: [t.timeoutS],
    presets: [],
    toleratedLosses: DEFAULT_TOLERATED_LOSSES,
    detectWithinS: null,
    connections: null,
  });
  const request: FixRequest = {
    pid: s.pid,
    selection: { state: 'all', socket: { local: endpointText(s.local), remote: endpointText(s.peer) } },
    change: {
      keepalive: true,
      idleS: rec.keepalive.timeS,
      intervalS: rec.keepalive.intervalS,
      count: rec.keepalive.probes,
      userTimeoutMs: rec.userTimeoutMs,
    },
    apply: false,
  };
  const { panel, changes } = ran(
    request,
    `for T = ${t.timeoutS} s (${t.from}); y applies it (kad fix --revert undoes it), any other key cancels`,
  );
  return changes ? { ...panel, apply: { ...request, apply: true } } : panel;
}

/** Applies what the dry run showed; the change log goes to the working directory, as with kad fix --apply. */
export function fixApply(request: FixRequest): FixPanel {
  return ran(request, 'any key closes').panel;
}

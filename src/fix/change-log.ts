import { readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../model/errors.js';
import { OPTION_FIELDS, type KeepaliveOptions } from '../sockets/keepalive-options.js';
import type { FixRow } from './fix-plan.js';

/** What `kad fix --apply` changed, so that `kad fix --revert FILE` can put it back. */
export interface ChangeLog {
  kadFix: 1;
  pid: number;
  process: string | null;
  appliedAt: string;
  changes: { fd: number; inode: number; local: string; remote: string; before: KeepaliveOptions; after: KeepaliveOptions }[];
}

export function changeLogOf(pid: number, process: string | null, rows: readonly FixRow[], at: Date): ChangeLog {
  const changes = rows
    .filter((r) => r.status === 'changed' && r.before && r.after)
    .map((r) => ({ fd: r.fd, inode: r.inode, local: r.local, remote: r.remote, before: r.before!, after: r.after! }));
  return { kadFix: 1, pid, process, appliedAt: at.toISOString(), changes };
}

export function writeChangeLog(file: string, log: ChangeLog): void {
  try {
    writeFileSync(file, `${JSON.stringify(log, null, 2)}\n`, { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'EEXIST'
        ? `${file} exists: kad fix never overwrites a change log; pass another --changes file`
        : `cannot write ${file}: ${code ?? String(err)}`,
    );
  }
}

function isOptions(v: unknown): v is KeepaliveOptions {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.keepalive === 'boolean' && OPTION_FIELDS.slice(1).every((f) => Number.isInteger(o[f]) && (o[f] as number) >= 0);
}

/** Reads a change log; anything else is one line naming the file and what is wrong. */
export function readChangeLog(file: string): ChangeLog {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code ? `cannot read ${file}: ${code}` : `${file} is not JSON: ${(err as Error).message}`);
  }
  const d = doc as Partial<ChangeLog>;
  if (d?.kadFix !== 1 || !Number.isInteger(d.pid) || !Array.isArray(d.changes)) {
    throw new UserError(`${file} is not a kad fix change log (written by kad fix --apply)`);
  }
  d.changes.forEach((c, i) => {
    if (!Number.isInteger(c?.fd) || !Number.isInteger(c?.inode) || !isOptions(c?.before) || !isOptions(c?.after)) {
      throw new UserError(`${file}: change ${i + 1} is malformed (needs fd, inode, before and after)`);
    }
  });
  return d as ChangeLog;
}

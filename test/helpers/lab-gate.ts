import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPath, preflight } from '../../lab/preflight.js';
import { REPO } from './run-kad.js';

/**
 * What a test under test/lab/ needs from the machine. Those tests are skipped,
 * never passed, when it is missing, and say so on stderr: a lab suite that
 * quietly did nothing must not look like one that passed.
 */
export interface LabNeeds {
  /** Why root is needed (e.g. 'network namespaces'); omit when it is not. */
  root?: string;
  /** Commands that must be on PATH; an inner array means any one of them. */
  tools?: ReadonlyArray<string | readonly string[]>;
  /** What `kad lab` itself checks first: root, and ip, nft, tcpdump, sysctl. */
  lab?: boolean;
}

export { onPath };

function missing(needs: LabNeeds): string | null {
  if (needs.lab) {
    try {
      preflight();
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (needs.root !== undefined && process.getuid?.() !== 0) return `needs root (${needs.root})`;
  const absent = (needs.tools ?? []).filter((t) => (typeof t === 'string' ? !onPath(t) : !t.some(onPath)));
  if (absent.length > 0) return `needs ${absent.map((t) => (typeof t === 'string' ? t : t.join(' or '))).join(', ')}, not found on PATH`;
  return null;
}

const announced = new Set<string>();

/**
 * `false` when the machine has what `needs` lists, else the reason, for
 * `test(name, { skip: labSkip(import.meta.url, …) }, …)`. The first time a
 * reason applies to a file, one line says so on stderr.
 */
export function labSkip(fileUrl: string, needs: LabNeeds): string | false {
  const reason = missing(needs);
  if (reason === null) return false;
  const file = relative(REPO, fileURLToPath(fileUrl))
    .replace(/^dist\//, '')
    .replace(/\.js$/, '.ts');
  if (!announced.has(reason)) {
    announced.add(reason);
    process.stderr.write(`kad lab tests SKIPPED in ${file}: ${reason}\n`);
  }
  return reason;
}

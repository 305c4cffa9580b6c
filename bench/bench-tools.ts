import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root (dist/bench/ is two levels below it once built). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether a command is on the PATH (peers such as tshark and taskset are optional). */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The Node options bin/kad's first line gives kad (their one statement), for
 * probes that run kad's code in a process of their own: their figures are
 * then of the heap kad runs with.
 */
export function kadNodeOptions(): string[] {
  const shebang = readFileSync(join(ROOT, 'bin', 'kad'), 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/);
  return shebang.slice(shebang.indexOf('node') + 1);
}

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The checkout's root (dist/bench/ is two levels below it once built). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether a command is on the PATH (peers such as tshark and taskset are optional). */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

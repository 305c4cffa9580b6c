import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { after, before } from 'node:test';

/** Where the lab tests look for kad's trace instances, as this process sees them. */
export const TRACEFS = '/sys/kernel/tracing';
export const INSTANCES = `${TRACEFS}/instances`;

/** kad's trace instances (kad-<pid>) there now; none when tracefs is not mounted. */
export function kadInstances(): string[] {
  try {
    return readdirSync(INSTANCES).filter((n) => n.startsWith('kad-'));
  } catch {
    return [];
  }
}

/**
 * kad mounts tracefs itself where it is absent, but `ip netns exec` runs it in
 * a mount namespace of its own: the test process would not see that mount, nor
 * the instances under it. Mounted here before a file's tests (and unmounted
 * after, if this did it), both see the same instances: tracefs has one set,
 * wherever it is mounted. Nothing is done for a file whose tests are skipped.
 */
export function hostTracefs(skip: string | false): void {
  let mountedHere = false;
  before(() => {
    if (skip || existsSync(INSTANCES)) return;
    mountedHere = spawnSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS]).status === 0;
  });
  after(() => {
    if (mountedHere) spawnSync('umount', [TRACEFS]);
  });
}

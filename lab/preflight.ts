import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabError } from './exec.js';

/** Commands the lab runs, with the Debian package that ships each. */
const TOOLS: ReadonlyArray<readonly [tool: string, pkg: string]> = [
  ['ip', 'iproute2'],
  ['nft', 'nftables'],
  ['tcpdump', 'tcpdump'],
  ['sysctl', 'procps'],
];

/** Whether a command is on PATH (what `command -v` answers), without running it. */
export function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Throws a one-line LabError (exit code 2) when the lab cannot possibly run here. */
export function preflight(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError('kad lab needs root (network namespaces): run as root or with sudo', 2);
  }
  const missing = TOOLS.filter(([tool]) => !onPath(tool));
  if (missing.length > 0) {
    const tools = missing.map(([t]) => t).join(', ');
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
    throw new LabError(`kad lab needs ${tools}, not found on PATH: install the Debian package(s) with: apt-get install ${pkgs}`, 2);
  }
}

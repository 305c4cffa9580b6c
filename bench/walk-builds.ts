import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './bench-tools.js';

/**
 * The WebAssembly walk built with one compile-time constant set
 * (`asc --use NAME=VALUE`: KAD_ABLATE, KAD_SHARD in src/wasm/tracker.ts) and
 * the release build's options (asconfig.json), into `dir`; null when
 * AssemblyScript is not installed (npm ci installs it) or the build failed.
 */
export function walkBuild(dir: string, name: string, value: number): string | null {
  const out = join(dir, `tracker-${name.toLowerCase()}-${value}.wasm`);
  const asc = join(ROOT, 'node_modules', '.bin', 'asc');
  const r = spawnSync(asc, ['src/wasm/tracker.ts', '--target', 'release', '-o', out, '--use', `${name}=${value}`], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  return r.status === 0 ? out : null;
}

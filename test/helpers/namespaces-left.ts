import { execFileSync } from 'node:child_process';

/** Network namespaces whose names start with `prefix` that still exist (a lab test's leftovers). */
export function namespacesLeft(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith(prefix));
}

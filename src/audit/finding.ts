/** One line of the audit: what was seen, what breaks because of it, and how to fix it. */

export type Level = 'ok' | 'info' | 'warn' | 'crit';

export const LEVEL_ORDER: Record<Level, number> = { ok: 0, info: 1, warn: 2, crit: 3 };

export interface Fix {
  /** Apply now, on this host (or inside this network namespace). */
  commands: string[];
  /** Lines that make it survive a reboot, and where they go. */
  persistFile: string | null;
  persistLines: string[];
  /** Who may run the commands. */
  needs: string;
  note: string | null;
}

export interface Finding {
  id: string;
  level: Level;
  title: string;
  observed: string;
  /** In operator terms: the error or symptom, and when it appears. */
  breaks: string;
  fix: Fix | null;
}

export const SYSCTL_PERSIST_FILE = '/etc/sysctl.d/60-kad-audit.conf';

export function sysctlFix(
  settings: [name: string, value: string | number][],
  note: string | null = null,
  needs = 'root (CAP_NET_ADMIN in this network namespace)',
): Fix {
  return {
    commands: settings.map(([name, value]) => `sysctl -w ${name}=${shellValue(String(value))}`),
    persistFile: SYSCTL_PERSIST_FILE,
    persistLines: settings.map(([name, value]) => `${name} = ${value}`),
    needs,
    note,
  };
}

function shellValue(v: string): string {
  return /^[\w.,:-]+$/.test(v) ? v : `"${v}"`;
}

export function worstLevel(findings: Finding[]): Level {
  return findings.reduce<Level>((w, f) => (LEVEL_ORDER[f.level] > LEVEL_ORDER[w] ? f.level : w), 'ok');
}

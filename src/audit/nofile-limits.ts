/** RLIMIT_NOFILE as /proc/PID/limits prints it ("Max open files  1024  524288  files"). */
export interface NofileLimit {
  soft: number;
  hard: number;
}

export function parseNofile(limitsText: string): NofileLimit | null {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  if (!line) return null;
  const m = /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
  if (!m?.[1] || !m[2]) return null;
  const value = (s: string): number => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  const soft = value(m[1]);
  const hard = value(m[2]);
  return Number.isNaN(soft) || Number.isNaN(hard) ? null : { soft, hard };
}

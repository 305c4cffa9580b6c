import { spawnSync } from 'node:child_process';

/**
 * A detached tmux session on a server socket of its own (-L), so a test
 * neither sees nor disturbs anyone else's tmux: `cmd` runs in a pane of the
 * given size; the test reads the screen and types keys. kill() ends the
 * server (by its socket, never by name matching).
 */
export function tmuxSession(name: string, cmd: string, size: { cols: number; rows: number }, cwd?: string) {
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-L', name, ...args], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const start = ['new-session', '-d', '-x', String(size.cols), '-y', String(size.rows), '-s', name];
  if (cwd !== undefined) start.push('-c', cwd);
  start.push('-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8', cmd);
  // eslint-disable-next-line no-restricted-syntax -- a dozen fixed arguments, never data-sized
  tmux(...start);
  const screen = (): string => tmux('capture-pane', '-p', '-t', name);
  return {
    screen,
    keys: (key: string): void => void tmux('send-keys', '-t', name, key),
    /** The screen once `cond` holds, polled; the last screen in the error when it never does. */
    until: async (what: string, cond: (s: string) => boolean, ms = 20_000): Promise<string> => {
      const end = Date.now() + ms;
      for (;;) {
        const s = screen();
        if (cond(s)) return s;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    kill: (): void => void spawnSync('tmux', ['-L', name, 'kill-server']),
  };
}

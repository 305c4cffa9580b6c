import assert from 'node:assert/strict';
import { test } from 'node:test';
import type blessed from 'blessed';
import { TerminalGuard } from '../src/tui/terminal-guard.js';

function fakeScreen() {
  const calls = { destroy: 0, raw: [] as boolean[] };
  const screen = { destroy: () => calls.destroy++ } as unknown as blessed.Widgets.Screen;
  const input = { isTTY: true, setRawMode: (on: boolean) => calls.raw.push(on) };
  return { calls, screen, input };
}

const counts = () =>
  ['SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'exit'].map((e) => process.listenerCount(e));

test('an uncaught exception restores the terminal once, rejects, and removes the handlers', async () => {
  const before = counts();
  const f = fakeScreen();
  const g = new TerminalGuard(f.screen, f.input, null);
  assert.notDeepEqual(counts(), before);
  const boom = new Error('boom');
  // Calling the guard's own listener: emitting the event would also fail the test runner's.
  const listener = process.listeners('uncaughtException').at(-1)!;
  listener(boom, 'uncaughtException');
  await assert.rejects(g.stopped, /boom/);
  assert.equal(f.calls.destroy, 1);
  assert.deepEqual(f.calls.raw, [false]);
  g.restore();
  assert.equal(f.calls.destroy, 1, 'idempotent');
  assert.deepEqual(counts(), before);
});

test('SIGTERM restores the terminal and settles with exit code 143', async () => {
  const f = fakeScreen();
  const g = new TerminalGuard(f.screen, f.input, null);
  const saved = process.exitCode;
  process.emit('SIGTERM', 'SIGTERM');
  await g.stopped;
  assert.equal(process.exitCode, 143);
  process.exitCode = saved;
  assert.ok(g.isRestored);
  assert.equal(f.calls.destroy, 1);
});

test('a failing blessed destroy still leaves the alternate screen by hand', () => {
  const screen = {
    destroy: () => {
      throw new Error('half-dead');
    },
  } as unknown as blessed.Widgets.Screen;
  const written: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as { write: unknown }).write = (s: string) => (written.push(s), true);
  try {
    new TerminalGuard(screen, null, null).restore();
  } finally {
    (process.stdout as { write: unknown }).write = orig;
  }
  assert.ok(written.join('').includes('\x1b[?1049l'));
});

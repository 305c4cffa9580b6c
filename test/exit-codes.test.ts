import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT } from '../src/model/errors.js';
import { LEVEL_ORDER, type Level } from '../src/audit/finding.js';
import { runKad } from './helpers/run-kad.js';

/** One line on stderr, no stack trace: what every refusal must look like. */
function assertOneLine(stderr: string, what: string): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line expected, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, `${what}: a stack trace`);
}

test('every command refuses a mistyped flag or a bad value with one line and the usage status', () => {
  const refusals: string[][] = [
    ['nosuch'],
    ['analyze', '--nosuch'],
    ['analyze', '--port', 'http', 'x.pcap'],
    ['analyze', '/nonexistent/kad-test.pcap'],
    ['watch', '-r', 'x.pcap', '--refresh', '5x'],
    ['watch', '-r', 'x.pcap', '--idle-timeout', '5x'],
    ['live', '-r', 'x.pcap', '--idle-timeout', '5x'],
    ['tui', 'x.pcap', '--idle-timeout', '5x'],
    ['recommend', '--idle-timeout', '5x'],
    ['recommend', '--detect-within', 'soon', '--idle-timeout', '350s'],
    ['probe', '127.0.0.1:9', '--min', '5x'],
    ['audit', '--fail-on', 'bogus'],
    ['audit', '--nosuch'],
  ];
  for (const args of refusals) {
    const r = runKad(args);
    const what = `kad ${args.join(' ')}`;
    assert.equal(r.status, EXIT.usage, `${what} exited ${r.status}: ${r.stderr}`);
    assertOneLine(r.stderr, what);
  }
});

test('a bad duration reads the same whichever command it was given to', () => {
  const said = [
    runKad(['watch', '-r', 'x.pcap', '--idle-timeout', '5x']).stderr,
    runKad(['tui', 'x.pcap', '--idle-timeout', '5x']).stderr,
    runKad(['recommend', '--idle-timeout', '5x']).stderr,
  ].map((s) => /"5x" is not a duration \([^)]*\)/.exec(s)?.[0] ?? s);
  assert.equal(new Set(said).size, 1, said.join('\n'));
});

test('help and version are not errors', () => {
  for (const args of [['--help'], ['--version'], ['analyze', '--help'], ['audit', '--help']]) {
    assert.equal(runKad(args).status, EXIT.ok, `kad ${args.join(' ')}`);
  }
});

test('audit --fail-on exits with the findings status exactly when a finding reaches the level', () => {
  const report = JSON.parse(runKad(['audit', '--json']).stdout) as { summary: { worst: Level } };
  const worst = LEVEL_ORDER[report.summary.worst];
  for (const level of ['info', 'warn', 'crit'] as const) {
    const r = runKad(['audit', '--fail-on', level]);
    const expected = worst >= LEVEL_ORDER[level] ? EXIT.findings : EXIT.ok;
    assert.equal(r.status, expected, `--fail-on ${level} with worst ${report.summary.worst}: ${r.stderr}`);
  }
});

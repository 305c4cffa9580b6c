/**
 * The test reporter of `npm test` and `npm run test:unit`: Node's own (spec on
 * a terminal, TAP otherwise, as without --test-reporter), and at the end one
 * line per file with skipped tests on stderr. Under `node --test` a test
 * file's own stderr becomes a comment in the TAP stream, easy to miss in a CI
 * log; this runs in the runner itself, so its lines really go to stderr.
 */
import { relative } from 'node:path';
import { Readable } from 'node:stream';
import { spec, tap, type TestEvent } from 'node:test/reporters';

export default async function* skipReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string | Buffer, void> {
  /** Skipped tests by file: how many, and why. */
  const skipped = new Map<string, { count: number; reasons: Set<string> }>();
  async function* watched(): AsyncGenerator<TestEvent, void> {
    for await (const event of source) {
      if (event.type === 'test:pass' && event.data.skip !== undefined) {
        // Named as the source file, as the test files' own skip lines name it.
        const file = event.data.file
          ? relative(process.cwd(), event.data.file)
              .replace(/^dist\//, '')
              .replace(/\.js$/, '.ts')
          : '(unknown file)';
        const entry = skipped.get(file) ?? { count: 0, reasons: new Set<string>() };
        entry.count++;
        entry.reasons.add(typeof event.data.skip === 'string' ? event.data.skip : 'skipped');
        skipped.set(file, entry);
      }
      yield event;
    }
  }
  if (process.stdout.isTTY) yield* Readable.from(watched()).pipe(new spec());
  else yield* tap(watched());
  for (const [file, { count, reasons }] of skipped) {
    process.stderr.write(`SKIPPED ${count} test${count === 1 ? '' : 's'} in ${file} (not run, not passed): ${[...reasons].join('; ')}\n`);
  }
}

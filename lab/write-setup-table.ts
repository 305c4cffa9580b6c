/**
 * `node dist/lab/write-setup-table.js RESULTS.json [--readme README.md]`:
 * prints the set-up scenario table from a results file that
 * test/lab/setup-lab.test.ts wrote, or with --readme replaces the table
 * between its markers in that file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SETUP_RESULTS_SCHEMA, type SetupResults } from './setup/setup-results.js';
import { renderSetupTable, replaceTable } from './setup/setup-table.js';

function main(): number {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { readme: { type: 'string' } } });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write('usage: node dist/lab/write-setup-table.js RESULTS.json [--readme README.md]\n');
    return 2;
  }
  let doc: SetupResults;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as SetupResults;
  } catch (err) {
    process.stderr.write(`setup-table: ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  if (doc.schema !== SETUP_RESULTS_SCHEMA) {
    process.stderr.write(`setup-table: ${file}: schema ${String(doc.schema)}, expected ${SETUP_RESULTS_SCHEMA}\n`);
    return 2;
  }
  const table = renderSetupTable(doc);
  if (!values.readme) {
    process.stdout.write(`${table}\n`);
    return 0;
  }
  try {
    writeFileSync(values.readme, replaceTable(readFileSync(values.readme, 'utf8'), table));
  } catch (err) {
    process.stderr.write(`setup-table: ${(err as Error).message}\n`);
    return 2;
  }
  return 0;
}

process.exitCode = main();

/**
 * `npm run lab -- <scenario|all> [--out DIR]`, `npm run lab -- --list`:
 * plays lab scenarios on real kernels in throwaway network namespaces and
 * writes each one's two captures and ground truth.
 */
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Cleanup } from './cleanup.js';
import { LabError } from './exec.js';
import { preflight } from './preflight.js';
import { captureNames, runScenario } from './run-scenario.js';
import { ALL_SCENARIOS, findScenario } from './scenarios/index.js';
import type { ScenarioSpec } from './scenario.js';
import type { LabTruth } from './truth.js';
import { formatChecks } from './verify/check.js';
import { verifyAnalysis, verifyCaptures, verifySetupAnalysis, verifySetupCaptures, verifySetupKernel } from './verify/verify-output.js';
import { scenarioVerdicts, type VerdictRow } from './verdicts/scenario-verdicts.js';
import { kadVersion } from './verdicts/kad-version.js';
import { misses, readVerdictRun, VERDICTS_SCHEMA, writeVerdictTable, type VerdictRun } from './verdicts/verdict-table.js';

const USAGE =
  'usage: npm run lab -- <scenario|all> [--out DIR] [--verify] [--verdict-table]   (npm run lab -- --list shows the scenarios; --verdicts-from FILE re-renders the table)';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
/** The run behind README's verdict table, kept beside the code that made it (--verdicts-from re-renders it). */
const LAST_RUN = fileURLToPath(new URL('../../lab/verdicts/last-run.json', import.meta.url));

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function outcome(t: LabTruth): string {
  if (t.setup) return t.setup.expectedKind ? `set-up failure: ${t.setup.expectedKind}` : 'set up after retries';
  const c = t.connections[0];
  if (!c) return 'no connection';
  const who = c.resets.map(
    (r) =>
      `RST from ${r.from} sent by ${r.sentBy === 'middlebox' ? 'the firewall' : r.sentBy === 'peer' ? `the real ${r.host}` : `the ${r.host}'s own kernel`}`,
  );
  const idle = c.idleBeforeTriggerS === null ? '' : ` at ${c.idleBeforeTriggerS} s idle`;
  const why = c.trigger === 'none' ? idle : ` after ${c.trigger}${idle}`;
  return [`${c.ended}${why}`, ...who].join('; ');
}

/** Prints the failed checks of both verifications; returns how many failed. */
async function verify(dir: string, truth: LabTruth): Promise<number> {
  let failed = 0;
  const verifications = truth.setup
    ? ([
        ['kernel counters and listener vs truth', verifySetupKernel],
        ['captures vs truth (tshark)', verifySetupCaptures],
        ['kad analyze set-up verdicts vs truth', verifySetupAnalysis],
      ] as const)
    : ([
        ['captures vs truth (tshark)', verifyCaptures],
        ['kad analyze vs truth', verifyAnalysis],
      ] as const);
  for (const [what, checks] of verifications) {
    try {
      const list = await checks(dir, truth);
      const bad = list.filter((c) => !c.ok);
      failed += bad.length;
      say(
        bad.length === 0
          ? `  ${what}: ${list.length} checks ok`
          : formatChecks(`  ${what}: ${bad.length} of ${list.length} checks FAILED`, bad),
      );
    } catch (err) {
      failed += 1;
      say(`  ${what}: could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failed;
}

function pickScenarios(name: string | undefined): ScenarioSpec[] {
  if (name === undefined) throw new LabError(USAGE, 2);
  if (name === 'all') return [...ALL_SCENARIOS];
  const spec = findScenario(name);
  if (!spec) throw new LabError(`unknown scenario '${name}'; one of: all, ${ALL_SCENARIOS.map((s) => s.name).join(', ')}`, 2);
  return [spec];
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        list: { type: 'boolean' },
        verify: { type: 'boolean' },
        'verdict-table': { type: 'boolean' },
        'verdicts-from': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new LabError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`, 2);
  }
  if (args.values.help) {
    say(USAGE);
    return 0;
  }
  if (args.values.list) {
    for (const s of ALL_SCENARIOS) say(`${s.name.padEnd(24)} ${s.summary}`);
    return 0;
  }
  const from = args.values['verdicts-from'];
  if (from !== undefined) {
    if (args.positionals.length > 0) throw new LabError(USAGE, 2);
    return tableFrom(await readRun(from));
  }
  if (args.positionals.length > 1) throw new LabError(USAGE, 2);
  const specs = pickScenarios(args.positionals[0]);
  preflight();
  const outDir = args.values.out ? resolve(args.values.out) : mkdtempSync(join(tmpdir(), 'kad-lab-out-'));

  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals, code: number): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`kad lab: ${signal}: removing the lab's namespaces and processes\n`);
    void cleanup.run().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));

  let failed = 0;
  const rows: VerdictRow[] = [];
  for (const spec of specs) {
    const t0 = Date.now();
    let truth: LabTruth;
    try {
      truth = await runScenario(spec, outDir, cleanup, (m) => say(m));
    } catch (err) {
      // Which scenario failed matters once `all` is running.
      if (err instanceof LabError && !err.message.startsWith(`${spec.name}:`))
        throw new LabError(`${spec.name}: ${err.message}`, err.exitCode);
      throw err;
    } finally {
      const failures = await cleanup.run();
      for (const f of failures) process.stderr.write(`kad lab: cleanup: ${f}\n`);
    }
    const n = captureNames(spec.name);
    say(`${spec.name}: ${outcome(truth)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    say(`  ${join(outDir, n.client)}\n  ${join(outDir, n.server)}\n  ${join(outDir, n.truth)}`);
    if (args.values.verify) failed += await verify(outDir, truth);
    // Set-up scenarios have their own table (lab/write-setup-table.ts): their verdicts are not about resets.
    if (args.values['verdict-table'] && !truth.setup) for (const row of await scenarioVerdicts(outDir, truth)) rows.push(row);
  }
  if (args.values['verdict-table']) {
    const run: VerdictRun = { schema: VERDICTS_SCHEMA, kad: kadVersion(), generatedAt: new Date().toISOString(), rows };
    const json = `${JSON.stringify(run, null, 2)}\n`;
    for (const file of [join(outDir, 'verdicts.json'), LAST_RUN]) {
      await writeFile(file, json);
      say(`verdicts: ${file}`);
    }
    if ((await tableFrom(run)) !== 0) failed += 1;
  }
  return failed > 0 ? 1 : 0;
}

async function readRun(file: string): Promise<VerdictRun> {
  try {
    return await readVerdictRun(resolve(file));
  } catch (err) {
    throw new LabError(`--verdicts-from ${file}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}

/** Writes the verdict table into README.md; 1 when a cell misses issue 21's bar. */
async function tableFrom(run: VerdictRun): Promise<number> {
  await writeVerdictTable(README, run);
  const missed = misses(run);
  say(`verdict table written into ${README}: ${missed.length === 0 ? 'no miss' : `${missed.length} miss(es):`}`);
  for (const m of missed) say(`  ${m}`);
  return missed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof LabError) {
      // Preflight messages already read as a sentence about "kad lab".
      process.stderr.write(`${err.message.startsWith('kad lab ') ? '' : 'kad lab: '}${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`kad lab: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env.KAD_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 70;
    }
  },
);

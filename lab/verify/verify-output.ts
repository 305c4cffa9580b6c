/** Checks one scenario's written captures against its truth file: with tshark, and with `kad analyze`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRUTH_SCHEMA, type LabTruth } from '../truth.js';
import { checkAnalysis } from './check-analysis.js';
import { checkCaptures } from './check-capture.js';
import type { Check } from './check.js';
import { kadAnalyze } from './kad-analyze.js';
import { readFrames } from './tshark-frames.js';

export async function readTruth(dir: string, scenario: string): Promise<LabTruth> {
  const file = join(dir, `${scenario}.truth.json`);
  const truth = JSON.parse(await readFile(file, 'utf8')) as LabTruth;
  if (truth.schema !== TRUTH_SCHEMA) throw new Error(`${file}: schema ${String(truth.schema)}, expected ${TRUTH_SCHEMA}`);
  return truth;
}

/** The lab's own captures against its truth, decoded by tshark: failures here mean the lab is wrong. */
export async function verifyCaptures(dir: string, truth: LabTruth): Promise<Check[]> {
  const [client, server] = await Promise.all([readFrames(join(dir, truth.captures.client)), readFrames(join(dir, truth.captures.server))]);
  return checkCaptures(truth, { client, server });
}

/** `kad analyze --json` of both captures against the truth: failures here mean the analyzer (or its schema) is wrong. */
export async function verifyAnalysis(dir: string, truth: LabTruth): Promise<Check[]> {
  const [client, server] = await Promise.all([kadAnalyze(join(dir, truth.captures.client)), kadAnalyze(join(dir, truth.captures.server))]);
  return checkAnalysis(truth, { client, server });
}

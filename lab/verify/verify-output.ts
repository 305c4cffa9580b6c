/** Checks one scenario's written captures against its truth file: with tshark, and with `kad analyze`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileReport } from '../../src/model/analysis-report.js';
import { TRUTH_SCHEMA, type Edge, type LabTruth } from '../truth.js';
import { checkAnalysis } from './check-analysis.js';
import { checkCaptures } from './check-capture.js';
import { checkSetupAnalysis } from './check-setup-analysis.js';
import { checkSetupCaptures } from './check-setup-capture.js';
import { checkSetupKernel } from './check-setup-kernel.js';
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

/** A set-up scenario's captures, decoded by tshark, against its truth (and its overflow counter against them). */
export async function verifySetupCaptures(dir: string, truth: LabTruth): Promise<Check[]> {
  const [client, server] = await Promise.all([readFrames(join(dir, truth.captures.client)), readFrames(join(dir, truth.captures.server))]);
  return checkSetupCaptures(truth, { client, server });
}

/** `kad analyze --json` of each capture alone against a set-up scenario's truth (issue 24's contract). */
export async function verifySetupAnalysis(dir: string, truth: LabTruth): Promise<Check[]> {
  return checkSetupAnalysis(truth, await analyzeEdges(dir, truth));
}

/** `kad analyze --json` of each edge's capture, alone. */
export async function analyzeEdges(dir: string, truth: LabTruth): Promise<Record<Edge, FileReport>> {
  const [client, server] = await Promise.all([
    kadAnalyzeOrNothing(join(dir, truth.captures.client)),
    kadAnalyzeOrNothing(join(dir, truth.captures.server)),
  ]);
  return { client, server };
}

/**
 * An edge no SYN ever reached (a black hole) holds no TCP packet, and kad
 * refuses such a file in one line: that edge then has no connection to check.
 */
async function kadAnalyzeOrNothing(file: string): Promise<FileReport> {
  try {
    return await kadAnalyze(file);
  } catch (err) {
    if (!/no TCP packets/.test((err as Error).message)) throw err;
    return { connections: [], diagnoses: [], error: null } as unknown as FileReport;
  }
}

/** A set-up scenario's kernel and firewall figures against what it must cause (no capture involved). */
export function verifySetupKernel(_dir: string, truth: LabTruth): Promise<Check[]> {
  return Promise.resolve(checkSetupKernel(truth));
}

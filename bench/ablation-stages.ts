/** The stages ablation-probe.ts stops after, in pipeline order (a module of its own: importing the probe runs it). */
export const STAGES = ['read', 'decode', 'lookup', 'records', 'track', 'diagnose', 'report', 'output'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Stages timed with a build of the WebAssembly walk cut short after them
 * (`asc --use KAD_ABLATE=N`, see ABLATE in src/wasm/tracker.ts): their
 * analyses are meaningless, only their time counts.
 */
export const CUT_BUILDS: Partial<Record<Stage, number>> = { decode: 1, lookup: 2, records: 3 };

/** What each stage adds to the one before it, for the bench's table. */
export const STAGE_MEANING: Record<Stage, string> = {
  read: 'the file read into one reused 1 MiB buffer',
  decode: 'the WebAssembly walk: framing, decoding and counting every frame',
  lookup: "flow lookup: each packet's connection found or opened",
  records: 'classification and the connection record',
  track: 'the event log: the real tracking pass',
  diagnose: 'verdicts for every connection',
  report: 'the report of the connections the terminal lists',
  output: 'the terminal text',
};

/** The probe's one line of output. */
export interface StageResult {
  ok: boolean;
  error?: string;
  cpu?: number;
  wall?: number;
  packets?: number;
  /** Minor page faults during the stage: fresh pages touched (its memory growing). */
  faults?: number;
}

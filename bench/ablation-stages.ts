/** The stages ablation-probe.ts stops after, in pipeline order (a module of its own: importing the probe runs it). */
export const STAGES = ['read', 'frame', 'decode', 'track', 'diagnose', 'report', 'output'] as const;
export type Stage = (typeof STAGES)[number];

/** The probe's one line of output. */
export interface StageResult {
  ok: boolean;
  error?: string;
  cpu?: number;
  wall?: number;
  packets?: number;
}

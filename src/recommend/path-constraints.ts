import type { Layer, MiddleboxPreset } from './presets.js';
import { RecommendInputError } from './recommend-input-error.js';

/** One hop on the path that forgets idle flows. */
export interface PathConstraint {
  label: string;
  idleTimeoutS: number | null;
  layer: Layer;
  origin: 'idle-timeout-flag' | 'preset' | 'inferred';
  preset: MiddleboxPreset | null;
  /** For an inferred hop: what the captures showed ("T ≤ 5.2 s: the shortest idle that died"). */
  inferredFrom?: string;
}

export interface PathSummary {
  constraints: PathConstraint[];
  /** The L4 hop with the smallest timeout: the one keepalive has to beat. */
  governing: PathConstraint;
  /** L7 hops: TCP keepalive does not refresh them, only payload does. */
  l7: PathConstraint[];
}

export function constraintFromTimeout(seconds: number): PathConstraint {
  return { label: `--idle-timeout ${seconds} s`, idleTimeoutS: seconds, layer: 'L4', origin: 'idle-timeout-flag', preset: null };
}

/** A timeout inferred from captures (kad recommend --from): labelled as inferred, never as given on the command line. */
export function constraintFromInference(seconds: number, path: string, inferredFrom: string): PathConstraint {
  return { label: `inferred for ${path}`, idleTimeoutS: seconds, layer: 'L4', origin: 'inferred', preset: null, inferredFrom };
}

export function constraintFromPreset(preset: MiddleboxPreset): PathConstraint {
  return { label: preset.id, idleTimeoutS: preset.idleTimeoutS, layer: preset.layer, origin: 'preset', preset };
}

export function summarizePath(constraints: PathConstraint[]): PathSummary {
  if (constraints.length === 0) {
    throw new RecommendInputError('nothing to size keepalive against: pass --idle-timeout DURATION or --behind PRESET');
  }
  const l4 = constraints.filter((c) => c.layer === 'L4' && c.idleTimeoutS !== null);
  const l7 = constraints.filter((c) => c.layer === 'L7');
  if (l4.length === 0) {
    const names = l7.map((c) => c.label).join(', ');
    throw new RecommendInputError(
      `${names} ${l7.length === 1 ? 'is an L7 proxy' : 'are L7 proxies'} that TCP keepalive does not refresh (only payload bytes do); ` +
        'send application-level heartbeats, and pass --idle-timeout or an L4 --behind preset to size keepalive for the other hops',
    );
  }
  const governing = l4.reduce((a, b) => ((b.idleTimeoutS as number) < (a.idleTimeoutS as number) ? b : a));
  return { constraints, governing, l7 };
}

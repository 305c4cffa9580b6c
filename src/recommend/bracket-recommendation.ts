import type { IdleTimeoutInference, PathIdleTimeout } from '../model/analysis-report.js';
import { DEFAULT_TOLERATED_LOSSES, solveKeepalive, type KeepaliveSolution } from './keepalive-solver.js';
import { RecommendInputError } from './recommend-input-error.js';

const INCONSISTENT =
  'no single idle timeout explains the capture (an idle period longer than one that died was survived), so there is none to size keepalive against';

/**
 * A path's idle-timeout bracket with the keepalive setting that fits it,
 * decided once for every report format. Gaps no longer than an idle period
 * that was survived are proven safe on the path, so the setting is sized
 * against the longest such period; with none, against the shortest that died.
 */
export function withRecommendation(t: IdleTimeoutInference): PathIdleTimeout {
  if (!t.consistent) return { ...t, recommendation: null, noRecommendationReason: INCONSISTENT };
  const provenSafe = t.survivedMaxS !== null;
  const sizedForS = t.survivedMaxS ?? t.diedMinS!;
  let sol: KeepaliveSolution;
  try {
    sol = solveKeepalive({ pathTimeoutS: sizedForS, toleratedLosses: DEFAULT_TOLERATED_LOSSES, detectWithinS: null });
  } catch (err) {
    // Only the input can be wrong here (a timeout too short for keepalive); anything else is a bug to surface.
    if (!(err instanceof RecommendInputError)) throw err;
    return { ...t, recommendation: null, noRecommendationReason: err.message };
  }
  return {
    ...t,
    recommendation: {
      sizedForS,
      provenSafe,
      toleratedLosses: sol.toleratedLosses,
      keepalive: { ...sol.keepalive },
      userTimeoutMs: sol.userTimeoutMs,
      detectionS: sol.detectionS,
    },
    noRecommendationReason: null,
  };
}

import type { ScenarioSpec } from '../../scenario.js';
import { blackHole } from './black-hole.js';
import { listenOverflow } from './listen-overflow.js';
import { lossySyn } from './lossy-syn.js';
import { portReuse } from './port-reuse.js';
import { refused } from './refused.js';
import { synFlood } from './syn-flood.js';

/** Issue 24's set-up failures, in the order `all` and the set-up lab test run them. */
export const SETUP_SCENARIOS: readonly ScenarioSpec[] = [
  listenOverflow(0),
  listenOverflow(1),
  refused,
  blackHole,
  lossySyn,
  portReuse,
  synFlood,
];

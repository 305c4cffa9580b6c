/** The set-up verdicts as `kad analyze --json` documents them: connections[].setup and diagnoses[].setup. */
export type { ConnectionSetup, SetupFailureKind, SetupVerdict } from '../../src/model/analysis-report.js';

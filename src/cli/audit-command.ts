import type { Command } from 'commander';

// Placeholder until the audit command lands (issue 6).
export function registerAudit(_program: Command): void {}

import type { Command } from 'commander';

// Placeholder until the recommend command lands (issue 6).
export function registerRecommend(_program: Command): void {}

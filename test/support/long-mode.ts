// The long forms of the robustness tests (issue 10). `npm run test:long` sets BOOTWRIGHT_LONG=1, so the same test
// files try a hundred times more cases, run their load for minutes instead of seconds, and report what they did
// (cases tried, faults injected, writes verified) to the file named by BOOTWRIGHT_COUNTS, which
// scripts/test-long.mjs prints as one table at the end. The normal `npm test` runs the short forms.

import { appendFileSync } from 'node:fs';

export const longMode = process.env.BOOTWRIGHT_LONG === '1';

/** `normal` cases in `npm test`, `long` in `npm run test:long`. */
export function scaled(normal: number, long: number): number {
  return longMode ? long : normal;
}

/** One line of the summary table: what a test tried or verified, counted. */
export function reportCount(test: string, measure: string, count: number): void {
  const file = process.env.BOOTWRIGHT_COUNTS;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ test, measure, count })}\n`);
}

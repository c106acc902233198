// Renders templates one after another and reports how each ended, for template-limits.test.ts, which runs this in a
// worker with a small heap: a template that builds a value past the cap before measuring it runs the worker out of
// memory instead of reporting.

import { parentPort, workerData } from 'node:worker_threads';
import { BootwrightError } from '../../src/errors.js';
import { renderCheetah, type TemplateHost } from '../../src/templates/cheetah/index.js';

export interface RouteOutcome {
  route: string;
  code?: string;
  message?: string;
  outputLength?: number;
  milliseconds: number;
}

const host: TemplateHost = { loadSnippet: () => undefined, loadInclude: () => undefined };

for (const [route, text] of workerData as [string, string][]) {
  const started = performance.now();
  let outcome: Omit<RouteOutcome, 'milliseconds'>;
  try {
    outcome = { route, outputLength: renderCheetah({ name: 'big.ks', text }, {}, host).output.length };
  } catch (error) {
    outcome =
      error instanceof BootwrightError
        ? { route, code: error.code, message: error.message }
        : { route, message: String(error) };
  }
  parentPort?.postMessage({ ...outcome, milliseconds: performance.now() - started });
}

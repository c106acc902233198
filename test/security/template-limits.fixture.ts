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
  /** CPU time the render took. */
  milliseconds: number;
}

const host: TemplateHost = { loadSnippet: () => undefined, loadInclude: () => undefined };

for (const [route, text] of workerData as [string, string][]) {
  // CPU time of the process (its main thread waits for this worker meanwhile): a busy machine must not blur it.
  const started = process.cpuUsage();
  let outcome: Omit<RouteOutcome, 'milliseconds'>;
  try {
    outcome = { route, outputLength: renderCheetah({ name: 'big.ks', text }, {}, host).output.length };
  } catch (error) {
    outcome =
      error instanceof BootwrightError
        ? { route, code: error.code, message: error.message }
        : { route, message: String(error) };
  }
  const used = process.cpuUsage(started);
  parentPort?.postMessage({ ...outcome, milliseconds: (used.user + used.system) / 1000 });
}

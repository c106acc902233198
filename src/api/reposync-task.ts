// A reposync started over an API (REST POST /api/v1/reposync, XML-RPC background_reposync): checked before it starts,
// so that a bad --tries or pattern is the call's error, then run as a Cobbler task whose log either API reads.

import { BootwrightError } from '../errors.js';
import { progressLines } from '../mirror/progress.js';
import { parseTries, type ReposyncRequest, reposync } from '../mirror/reposync.js';
import { compileGlob } from '../model/glob.js';
import type { CobblerTasks } from './cobbler-tasks.js';
import type { ApiServices } from './services.js';

/** Cobbler's task name for a reposync, as get_events lists it. */
export const reposyncTaskName = 'Reposync';

/** Starts the reposync and returns its task id at once; `ended` resolves when it has ended, failed or not. */
export function startReposync(
  services: ApiServices,
  tasks: CobblerTasks,
  request: ReposyncRequest,
): { id: string; ended: Promise<void> } {
  const { mirrors } = services;
  if (!mirrors) throw new BootwrightError('E_UNAVAILABLE', 'This server keeps no package mirrors.');
  if (request.tries !== undefined) parseTries(request.tries);
  if (request.name !== undefined) compileGlob(request.name, 'Repo name pattern');
  return tasks.start(reposyncTaskName, async (log, signal) => {
    await reposync(
      {
        repos: () => services.inventory.list('repo'),
        mirrors,
        ...(services.events ? { events: services.events } : {}),
      },
      { ...request, signal },
      // Progress as a line at each tenth: the task log is read by polling, a bar would be noise in it.
      { line: log, progress: progressLines(log) },
    );
  });
}

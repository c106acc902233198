// `bootwright reposync [--name=GLOB] [--only-new] [--tries=N] [--no-fail]`: mirrors repos into the data directory
// (locally, through the services) or has a server do it (--server: a task started over REST, whose log is followed
// here). A terminal gets a bar redrawn in place (repo, files, bytes, rate, time left); anything else plain lines.

import { BootwrightError } from '../errors.js';
import { elapsedClock, progressFigures, progressFraction, progressLines } from '../mirror/progress.js';
import { parseTries, type ReposyncReporter, type ReposyncRequest, reposync } from '../mirror/reposync.js';
import { openServices } from '../services.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { flagGiven, type Invocation, optionValue } from './invocation.js';

/** Lines for the operator; on a terminal a bar redrawn in place at most ten times a second, which lines clear. */
export function terminalReporter(
  out: { write(text: string): unknown },
  tty: boolean,
  now: () => number = Date.now,
): ReposyncReporter & { finish(): void } {
  let lastDraw = 0;
  let barShown = false;
  const clearBar = () => {
    if (barShown) out.write('\r\x1b[K');
    barShown = false;
  };
  const line = (text: string) => {
    clearBar();
    out.write(`reposync: ${text}\n`);
  };
  if (!tty) return { line, progress: progressLines(line, now), finish: clearBar };
  const elapsed = elapsedClock(now);
  return {
    line,
    progress(progress) {
      const seconds = elapsed(progress.repo);
      const at = now();
      if (at - lastDraw < 100 && progress.filesDone < progress.filesTotal) return;
      lastDraw = at;
      const fraction = progressFraction(progress);
      const width = 24;
      const filled = Math.round(fraction * width);
      out.write(
        `\r\x1b[K${progress.repo} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${progressFigures(progress, seconds)}`,
      );
      barShown = true;
    },
    finish: clearBar,
  };
}

function requestOf(invocation: Invocation): ReposyncRequest {
  const name = optionValue(invocation, 'name');
  const tries = optionValue(invocation, 'tries');
  return {
    ...(name === undefined || name === '' ? {} : { name }),
    ...(tries === undefined ? {} : { tries: parseTries(tries) }),
    onlyNew: flagGiven(invocation, 'only_new'),
    noFail: flagGiven(invocation, 'no_fail'),
  };
}

/** A task log line without Cobbler's `TIME - INFO | ` head. */
function logText(line: string): string {
  return line.replace(/^\S+ - [A-Z]+ \| /, '');
}

async function followRemote(
  invocation: Invocation,
  globals: GlobalOptions,
  request: ReposyncRequest,
): Promise<void> {
  const { RemoteInventory } = await import('../api/remote-inventory.js');
  const { dataPaths } = await import('../config/paths.js');
  const remote = new RemoteInventory({
    baseUrl: globals.server as string,
    ...(globals.token ? { token: globals.token } : {}),
    sharedSecretPath: dataPaths(globals.dataDir).sharedSecret,
  });
  const id = await remote.startReposync({
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.tries === undefined ? {} : { tries: request.tries }),
    only_new: request.onlyNew === true,
    no_fail: request.noFail === true,
  });
  invocation.io.stdout.write(`reposync: task ${id} on ${globals.server}\n`);
  let shown = 0;
  for (;;) {
    const task = await remote.task(id);
    const lines = task.log.split('\n').filter((line) => line !== '');
    for (const line of lines.slice(shown)) {
      const text = logText(line);
      if (!text.startsWith('### TASK')) invocation.io.stdout.write(`reposync: ${text}\n`);
    }
    shown = lines.length;
    if (task.state === 'complete') return;
    if (task.state === 'failed') {
      // The task's last line before its end marker is the reason; it was shown above too.
      const reason = logText(lines.at(-2) ?? 'the task failed');
      throw new BootwrightError('E_UNAVAILABLE', `reposync on ${globals.server} failed: ${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function runReposyncCommand(invocation: Invocation, globals: GlobalOptions): Promise<number> {
  const request = requestOf(invocation);
  if (globals.server) {
    await followRemote(invocation, globals, request);
    return 0;
  }
  const json = invocation.format === 'json';
  const tty = (invocation.io.stdout as { isTTY?: boolean }).isTTY === true;
  // JSON is one document at the end, for scripts: the lines a person reads go to stderr instead.
  const reporter = terminalReporter(json ? invocation.io.stderr : invocation.io.stdout, tty && !json);
  const services = await openServices({
    dataDir: globals.dataDir,
    dhcp: false,
    sharedSecret: false,
    ...(globals.notice ? { notice: globals.notice } : {}),
  });
  // Ctrl-C stops the sync at its next step, so that what was verified is kept for the next run to resume from; a
  // second Ctrl-C (the handler is gone by then) kills at once.
  const interrupted = new AbortController();
  const interrupt = () => interrupted.abort();
  process.once('SIGINT', interrupt);
  try {
    const outcome = await reposync(
      { repos: () => services.inventory.list('repo'), mirrors: services.mirrors, events: services.events },
      { ...request, signal: interrupted.signal },
      reporter,
    );
    if (json) invocation.io.stdout.write(formatJson(outcome));
  } catch (error) {
    if (!interrupted.signal.aborted) throw error;
    throw new BootwrightError(
      'E_UNAVAILABLE',
      'reposync was interrupted; run it again and it resumes where it stopped.',
    );
  } finally {
    process.off('SIGINT', interrupt);
    reporter.finish();
    await services.triggers?.idle();
    await services.close();
  }
  return 0;
}

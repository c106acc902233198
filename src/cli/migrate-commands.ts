// `bootwright import-cobbler` and `bootwright replicate` (src/migrate/): one line per step as it happens, so a
// long migration shows its progress on a terminal and in a log alike, then a count of each outcome.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BootwrightError } from '../errors.js';
import type { InventoryBackend } from '../inventory/backend.js';
import type { Step, StepStatus } from '../migrate/carry-over.js';
import { importCobbler } from '../migrate/import-cobbler.js';
import { replicate } from '../migrate/replicate.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { flagGiven, type Invocation, optionValue, requireOption } from './invocation.js';

const doneWords: Record<StepStatus, string> = {
  create: 'created',
  unchanged: 'unchanged',
  overwrite: 'overwrote',
  differs: 'differs, left as it is (--overwrite replaces it):',
  remove: 'removed',
  'not-carried': 'not carried over:',
};
const plannedWords: Record<StepStatus, string> = {
  ...doneWords,
  create: 'would create',
  overwrite: 'would overwrite',
  remove: 'would remove',
};

function stepLine(command: string, step: Step, dryRun: boolean): string {
  const word = (dryRun ? plannedWords : doneWords)[step.status];
  const detail =
    step.detail === undefined ? '' : step.status === 'not-carried' ? `: ${step.detail}` : ` (${step.detail})`;
  return `${command}: ${word} ${step.subject}${detail}\n`;
}

function summary(command: string, steps: Step[], dryRun: boolean): string {
  const counts = new Map<StepStatus, number>();
  for (const step of steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
  const words = dryRun ? plannedWords : doneWords;
  const parts = [...counts].map(
    ([status, count]) => `${count} ${words[status].replace(/[:(].*$/, '').trim()}`,
  );
  return `${command}: ${dryRun ? 'dry run, nothing changed: ' : ''}${parts.join(', ') || 'nothing to do'}\n`;
}

/**
 * Lines as steps happen (text), or one JSON document at the end. A migration that ran to its end exits 0 whatever
 * did not carry over (a site always has Cobbler settings bootwright lacks); the lines and the count say what.
 */
async function runSteps(
  invocation: Invocation,
  command: string,
  work: (onStep: (step: Step) => void) => Promise<Step[]>,
): Promise<number> {
  const json = invocation.format === 'json';
  const dryRun = flagGiven(invocation, 'dry_run');
  const write = (text: string) => invocation.io.stdout.write(text);
  const steps = await work((step) => {
    if (!json) write(stepLine(command, step, dryRun));
  });
  if (json) write(formatJson({ dryRun, steps }));
  else write(summary(command, steps, dryRun));
  return 0;
}

export async function runImportCobbler(
  invocation: Invocation,
  backend: InventoryBackend,
  globals: GlobalOptions,
): Promise<number> {
  const path = resolve(requireOption(invocation, 'path'));
  // Cobbler keeps /var/lib/cobbler and /etc/cobbler side by side: /var/lib/cobbler → /etc/cobbler/settings.yaml.
  const given = optionValue(invocation, 'settings');
  const besides = join(dirname(dirname(dirname(path))), 'etc', 'cobbler', 'settings.yaml');
  const settingsPath = given ?? (existsSync(besides) ? besides : undefined);
  return runSteps(invocation, 'import-cobbler', (onStep) =>
    importCobbler(backend, {
      path,
      settingsPath,
      dataDir: globals.server ? undefined : globals.dataDir,
      ...(globals.server ? {} : { bootFilesFrom: 'the Cobbler server' }),
      dryRun: flagGiven(invocation, 'dry_run'),
      overwrite: flagGiven(invocation, 'overwrite'),
      onStep,
    }),
  );
}

export async function runReplicate(
  invocation: Invocation,
  backend: InventoryBackend,
  globals: GlobalOptions,
): Promise<number> {
  const master = requireOption(invocation, 'master');
  const patterns = (key: string) =>
    (optionValue(invocation, key) ?? '').split(/\s+/).filter((word) => word !== '');
  const port = optionValue(invocation, 'port');
  if (port !== undefined && /^https?:/.test(master))
    throw new BootwrightError('E_USAGE', 'Give the port inside --master=URL or with --port, not both.');
  return runSteps(invocation, 'replicate', (onStep) =>
    replicate(backend, {
      master,
      ...(port === undefined ? {} : { port }),
      patterns: {
        distro: patterns('distros'),
        profile: patterns('profiles'),
        system: patterns('systems'),
        repo: patterns('repos'),
        image: patterns('images'),
      },
      syncAll: flagGiven(invocation, 'sync_all'),
      prune: flagGiven(invocation, 'prune'),
      omitData: flagGiven(invocation, 'omit_data'),
      dryRun: flagGiven(invocation, 'dry_run'),
      overwrite: true,
      ...(globals.server ? {} : { bootFilesFrom: 'the master' }),
      onStep,
    }),
  );
}

// `bootwright import-cobbler --path=/var/lib/cobbler`: a Cobbler 3.x installation read from disk (cobbler-tree.ts)
// and carried over (carry-over.ts): settings first, since the objects blend over them, then template files, then
// the objects, each after what it names.

import { isAbsolute, join, relative } from 'node:path';
import type { InventoryBackend } from '../inventory/backend.js';
import {
  type CarryOptions,
  carryLibraryFiles,
  carryObjects,
  carrySettings,
  type Step,
} from './carry-over.js';
import { readCobblerSettings, readCobblerTree } from './cobbler-tree.js';

export interface ImportCobblerOptions extends CarryOptions {
  /** Cobbler's /var/lib/cobbler. */
  path: string;
  /** Cobbler's settings.yaml; undefined when it is not there, which is said as a step. */
  settingsPath: string | undefined;
  /** The local data directory templates are copied into; undefined when the objects go to a server. */
  dataDir: string | undefined;
}

/** Where Cobbler keeps autoinstall templates, now and (as kickstarts/) before 3.0. */
function templateDirs(path: string): string[] {
  return [join(path, 'templates'), '/var/lib/cobbler/templates', '/var/lib/cobbler/kickstarts'];
}

/** A profile's autoinstall as a name in the templates folder: Cobbler 3 stores it so, older ones as a full path. */
export function autoinstallNameFrom(path: string): (value: string) => string | undefined {
  return (value) => {
    if (!isAbsolute(value)) return value;
    for (const dir of templateDirs(path)) {
      const inside = relative(dir, value);
      if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside;
    }
    return undefined;
  };
}

export async function importCobbler(
  backend: InventoryBackend,
  options: ImportCobblerOptions,
): Promise<Step[]> {
  const tree = readCobblerTree(options.path);
  const steps: Step[] = [];
  const note = (subject: string, detail: string) => {
    const step: Step = { status: 'not-carried', subject, detail };
    steps.push(step);
    options.onStep(step);
  };
  for (const line of tree.unreadable) note('file', line);
  if (options.settingsPath === undefined) {
    note('settings', 'no settings.yaml found; pass --settings=PATH to carry them over.');
  } else {
    steps.push(...(await carrySettings(backend, readCobblerSettings(options.settingsPath), options)));
  }
  steps.push(...carryLibraryFiles(tree.libraryFiles, options.dataDir, options));
  steps.push(...(await carryObjects(backend, tree.records, autoinstallNameFrom(options.path), options)));
  return steps;
}

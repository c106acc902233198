// Carrying Cobbler's objects, settings and template files over: for each one, what would happen (create, leave as
// it is, overwrite) and, unless it is a dry run, doing it. A second run finds everything unchanged; an object that
// differs here is overwritten only when asked, and otherwise named with the fields that differ. Everything that
// does not carry over is reported as one line, never dropped in silence.

import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { asBootwrightError, quote } from '../errors.js';
import type { InventoryBackend } from '../inventory/backend.js';
import { applyFieldChanges, copyOfDefault } from '../inventory/field-changes.js';
import { fieldsByKind } from '../model/fields.js';
import type { FieldValue, InventoryObject, ObjectKind } from '../model/kinds.js';
import { parseSettingValue, settingFields } from '../model/settings.js';
import {
  type CobblerRecord,
  type ConvertedRecord,
  cobblerKinds,
  convertRecord,
  parentsFirst,
} from './cobbler-record.js';
import type { CobblerTree, LibraryFolder } from './cobbler-tree.js';

export type StepStatus =
  | 'create'
  | 'unchanged'
  | 'overwrite'
  /** It differs here and --overwrite was not given: left as it is, and said so. */
  | 'differs'
  /** Pruned by replicate: here but not on the master. */
  | 'remove'
  | 'not-carried';

export interface Step {
  status: StepStatus;
  /** What it is about, e.g. `profile "web"`, `setting server`, `snippet per_system/partition_select/www1`. */
  subject: string;
  /** The reason (not carried), or the fields that differ (differs, overwrite). */
  detail?: string;
}

export interface CarryOptions {
  dryRun: boolean;
  overwrite: boolean;
  /** Told about each step as it is decided (and done), for progress lines. */
  onStep: (step: Step) => void;
  /**
   * Where a distro's kernel and initrd can be copied from (such as "the Cobbler server"), when the objects go into
   * this host's store: a distro whose files are not on this host is then listed, in a dry run too, instead of
   * being refused by the store half-way. Unset when they go to a server, which checks its own disk.
   */
  bootFilesFrom?: string;
}

/** What the backend holds, read once per kind. */
type StoredObjects = Map<ObjectKind, Map<string, InventoryObject>>;

function subjectOf(kind: string, name: string): string {
  return `${kind} ${quote(name)}`;
}

/** A fresh object of the kind with the changes applied, as `add` would make it (checks against the store aside). */
function planned(kind: ObjectKind, changes: Record<string, unknown>): InventoryObject {
  const object: InventoryObject = {
    kind,
    name: String(changes.name),
    uid: '',
    ctime: 0,
    mtime: 0,
    fields: {},
  };
  for (const field of fieldsByKind[kind]) {
    if (field.name !== 'name') object.fields[field.name] = copyOfDefault(field.default) as FieldValue;
  }
  if (kind === 'system') object.interfaces = {};
  const { name: _name, ...rest } = changes;
  applyFieldChanges(object, rest, {});
  return object;
}

/** The fields (and interfaces) in which the stored object differs from the planned one. */
function differences(stored: InventoryObject, wanted: InventoryObject): string[] {
  const names = fieldsByKind[wanted.kind]
    .map((field) => field.name)
    .filter((name) => name !== 'name' && !isDeepStrictEqual(stored.fields[name], wanted.fields[name]));
  if (wanted.kind === 'system' && !isDeepStrictEqual(stored.interfaces ?? {}, wanted.interfaces ?? {}))
    names.push('interfaces');
  return names;
}

/** The whole of the planned object as changes, so that an overwrite leaves nothing of the old one behind. */
function replacingChanges(stored: InventoryObject, wanted: InventoryObject): Record<string, unknown> {
  const changes: Record<string, unknown> = { ...wanted.fields };
  if (wanted.kind === 'system') {
    const interfaces: Record<string, unknown> = { ...(wanted.interfaces ?? {}) };
    for (const ifname of Object.keys(stored.interfaces ?? {}))
      if (!(ifname in interfaces)) interfaces[ifname] = null;
    changes.interfaces = interfaces;
  }
  return changes;
}

/** A profile's parent is a profile, a menu's a menu, an image's an image. */
const kindsWithParents: ReadonlySet<string> = new Set(['profile', 'menu', 'image']);

/** Distros and repos first, profiles, menus and images parents first, systems last: each after what it names. */
export function creationOrder(records: CobblerRecord[]): CobblerRecord[] {
  return cobblerKinds.flatMap((kind) => {
    const ofKind = records.filter((record) => record.kind === kind);
    return kindsWithParents.has(kind)
      ? parentsFirst(ofKind)
      : ofKind.sort((a, b) => a.name.localeCompare(b.name));
  });
}

export async function carryObjects(
  backend: InventoryBackend,
  records: CobblerRecord[],
  autoinstallName: (value: string) => string | undefined,
  options: CarryOptions,
): Promise<Step[]> {
  const steps: Step[] = [];
  const step = (status: StepStatus, subject: string, detail?: string) => {
    const made: Step = detail === undefined ? { status, subject } : { status, subject, detail };
    steps.push(made);
    options.onStep(made);
  };
  const stored: StoredObjects = new Map();
  const failed = new Set<string>();
  for (const record of creationOrder(records)) {
    const converted = convertRecord(record, autoinstallName);
    const subject = subjectOf(record.kind, record.name);
    if ('unsupported' in converted) {
      step('not-carried', subject, converted.unsupported);
      continue;
    }
    const blocker = missingParent(converted, failed);
    if (blocker) {
      step('not-carried', subject, blocker);
      failed.add(`${converted.kind}/${converted.name}`);
      continue;
    }
    const absent =
      options.bootFilesFrom === undefined ? undefined : missingBootFile(converted, options.bootFilesFrom);
    if (absent) {
      step('not-carried', subject, absent);
      failed.add(`${converted.kind}/${converted.name}`);
      continue;
    }
    for (const loss of converted.losses) step('not-carried', subject, loss);
    try {
      await carryOne(backend, converted, stored, options, step);
    } catch (error) {
      failed.add(`${converted.kind}/${converted.name}`);
      step('not-carried', subject, asBootwrightError(error).message);
    }
  }
  return steps;
}

/**
 * A distro's kernel or initrd given as a path that is not a file on this host: bootwright refuses such a distro at
 * add, as Cobbler 3.3 does. Cobbler's own copies live under /var/www/cobbler/distro_mirror/ (from `cobbler import`)
 * or in the tree a distro was added from, so the line names the path to copy to the same place.
 */
function missingBootFile(converted: ConvertedRecord, from: string): string | undefined {
  if (converted.kind !== 'distro') return undefined;
  for (const field of ['kernel', 'initrd'] as const) {
    const path = converted.changes[field];
    if (typeof path !== 'string' || !isAbsolute(path) || isFile(path)) continue;
    return `its ${field} ${path} is not on this host; copy it from ${from} to the same path (Cobbler keeps distro files under /var/www/cobbler/distro_mirror/ or in the tree they were imported from), then run this again.`;
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A profile or system whose distro, parent or profile did not carry over cannot either: said once, plainly. */
function missingParent(converted: ConvertedRecord, failed: ReadonlySet<string>): string | undefined {
  const refs: [string, unknown][] = [
    ['distro', converted.changes.distro],
    [converted.kind, converted.changes.parent],
    ['profile', converted.changes.profile],
    ['image', converted.changes.image],
    ['menu', converted.changes.menu],
  ];
  for (const [kind, name] of refs) {
    if (typeof name === 'string' && failed.has(`${kind}/${name}`))
      return `its ${kind} ${quote(name)} did not carry over.`;
  }
  return undefined;
}

async function carryOne(
  backend: InventoryBackend,
  converted: ConvertedRecord,
  stored: StoredObjects,
  options: CarryOptions,
  step: (status: StepStatus, subject: string, detail?: string) => void,
): Promise<void> {
  const { kind, name, changes } = converted;
  const subject = subjectOf(kind, name);
  const wanted = planned(kind, changes);
  const existing = await findStored(backend, kind, name, stored);
  if (!existing) {
    if (!options.dryRun) await backend.add(kind, changes);
    step('create', subject);
    return;
  }
  const differing = differences(existing, wanted);
  if (differing.length === 0) {
    step('unchanged', subject);
    return;
  }
  const detail = `fields ${differing.join(', ')}`;
  if (!options.overwrite) {
    step('differs', subject, detail);
    return;
  }
  if (!options.dryRun) await backend.edit(kind, name, replacingChanges(existing, wanted));
  step('overwrite', subject, detail);
}

async function findStored(
  backend: InventoryBackend,
  kind: ObjectKind,
  name: string,
  stored: StoredObjects,
): Promise<InventoryObject | undefined> {
  let ofKind = stored.get(kind);
  if (!ofKind) {
    ofKind = new Map((await backend.list(kind)).map((object) => [object.name, object]));
    stored.set(kind, ofKind);
  }
  return ofKind.get(name);
}

/** Cobbler 3.3 splits next_server by address family; bootwright's one next_server is the IPv4 one. */
const renamedSettings: Record<string, string> = { next_server_v4: 'next_server' };

/**
 * Each of Cobbler's settings that bootwright has is set when bootwright still holds its own default, left when it
 * already holds the same value, and otherwise overwritten only when asked. Those bootwright lacks are listed.
 */
export async function carrySettings(
  backend: InventoryBackend,
  cobblerSettings: Record<string, unknown>,
  options: CarryOptions,
): Promise<Step[]> {
  const steps: Step[] = [];
  const step = (status: StepStatus, subject: string, detail?: string) => {
    const made: Step = detail === undefined ? { status, subject } : { status, subject, detail };
    steps.push(made);
    options.onStep(made);
  };
  const current = await backend.settings();
  for (const [key, value] of Object.entries(cobblerSettings)) {
    const name = renamedSettings[key] ?? key;
    const subject = name === key ? `setting ${key}` : `setting ${key} (as ${name})`;
    const field = settingFields.find((candidate) => candidate.name === name);
    if (!field) {
      step('not-carried', subject, `${JSON.stringify(value)}: bootwright has no such setting.`);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = parseSettingValue(
        name,
        typeof value === 'number' && field.type !== 'int' ? String(value) : value,
      );
    } catch (error) {
      step('not-carried', subject, asBootwrightError(error).message);
      continue;
    }
    const now = current[name];
    if (isDeepStrictEqual(now, parsed)) {
      step('unchanged', subject);
      continue;
    }
    const ours = isDeepStrictEqual(now, field.default);
    if (!ours && !options.overwrite) {
      step('differs', subject, `bootwright has ${JSON.stringify(now)}, Cobbler ${JSON.stringify(parsed)}`);
      continue;
    }
    try {
      if (!options.dryRun) await backend.setSetting(name, parsed);
      step(ours ? 'create' : 'overwrite', subject, JSON.stringify(parsed));
    } catch (error) {
      step('not-carried', subject, asBootwrightError(error).message);
    }
  }
  return steps;
}

/** Writes beside the target and renames, so that a server reading the file never sees half of it. */
function writeAtomically(path: string, text: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

const folderLabel: Record<LibraryFolder, string> = {
  templates: 'template',
  snippets: 'snippet',
  scripts: 'script',
};

/**
 * Copies Cobbler's templates, snippets (per_system/ and per_profile/ included: bootwright looks them up in the same
 * places) and scripts into the data directory's own folders, which bootwright reads before its built-in ones.
 */
export function carryLibraryFiles(
  files: CobblerTree['libraryFiles'],
  dataDir: string | undefined,
  options: CarryOptions,
): Step[] {
  const steps: Step[] = [];
  for (const file of files) {
    const subject = `${folderLabel[file.folder]} ${file.relativePath}`;
    let made: Step;
    if (dataDir === undefined) {
      made = {
        status: 'not-carried',
        subject,
        detail:
          'templates go into the data directory of the server host; run import-cobbler there, without --server.',
      };
    } else {
      const target = join(dataDir, file.folder, file.relativePath);
      const text = readFileSync(file.absolutePath);
      if (!existsSync(target)) {
        if (!options.dryRun) writeAtomically(target, text);
        made = { status: 'create', subject };
      } else if (readFileSync(target).equals(text)) {
        made = { status: 'unchanged', subject };
      } else if (options.overwrite) {
        if (!options.dryRun) writeAtomically(target, text);
        made = { status: 'overwrite', subject, detail: 'its text' };
      } else {
        made = { status: 'differs', subject, detail: `${target} holds other text` };
      }
    }
    steps.push(made);
    options.onStep(made);
  }
  return steps;
}

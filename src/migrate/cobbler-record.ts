// One Cobbler object as Cobbler 3.x writes it (a collections/<kind>s/NAME.json file, or an XML-RPC get_<kind>s
// entry) turned into the field changes that create the same object here, and the list of what does not carry over.
// Field names are Cobbler's own (cobbler/items/*.py, v3.3.7): bootwright kept them, so most fields map one to one;
// the table is read at run time, so a kind or field added to bootwright's tables is carried over from then on.

import { asBootwrightError, quote } from '../errors.js';
import { type FieldDef, fieldsByKind, findField, interfaceFields } from '../model/fields.js';
import { INHERIT, isObjectKind, type ObjectKind } from '../model/kinds.js';
import { parseFieldValue } from '../model/parse-field.js';

/** The collections of Cobbler 3.3 (cobbler/actions/replicate.py's OBJ_TYPES, plus menus), in creation order. */
export const cobblerKinds = [
  'distro',
  'repo',
  'menu',
  'image',
  'mgmtclass',
  'package',
  'file',
  'profile',
  'system',
] as const;
export type CobblerKind = (typeof cobblerKinds)[number];

/** The folder under collections/ of each kind, as Cobbler's collection_types() names it. */
export const collectionFolders: Record<CobblerKind, string> = {
  distro: 'distros',
  repo: 'repos',
  menu: 'menus',
  image: 'images',
  mgmtclass: 'mgmtclasses',
  package: 'packages',
  file: 'files',
  profile: 'profiles',
  system: 'systems',
};

export interface CobblerRecord {
  kind: CobblerKind;
  name: string;
  data: Record<string, unknown>;
  /** Where it was read: a file path, or the master's URL. */
  source: string;
}

export interface ConvertedRecord {
  kind: ObjectKind;
  name: string;
  /** The changes for `add` (or `edit`): fields by bootwright's names, `interfaces` for systems. */
  changes: Record<string, unknown>;
  /** One sentence per field value that does not carry over, naming the field. */
  losses: string[];
}

/**
 * Keys Cobbler keeps for its own bookkeeping, which say nothing about the machine: identity and times (bootwright
 * gives its own), the depth and sub-object flag its loader sorts by, the lazy-loading flag, the import's tree time,
 * the API-only aliases `kickstart`/`ks_meta`, and the GRUB copies of remote_boot_* its serializer drops.
 */
const bookkeepingKeys = new Set([
  'name',
  'uid',
  'ctime',
  'mtime',
  'depth',
  'is_subobject',
  'inmemory',
  'children',
  'kickstart',
  'ks_meta',
  'tree_build_time',
  'remote_grub_kernel',
  'remote_grub_initrd',
]);

/** Cobbler 3.3 splits next_server by address family; bootwright's one next_server is the IPv4 one. */
const renamedFields: Record<string, string> = { next_server_v4: 'next_server' };

/** Cobbler writes "~" for None over XML-RPC (utils.strip_none); both mean "no value". */
function isNone(value: unknown): boolean {
  return value === null || value === undefined || value === '~';
}

/** A value that carries nothing: dropping it loses nothing, whichever field it was in. */
function isEmptyValue(value: unknown): boolean {
  if (isNone(value) || value === '' || value === INHERIT || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return false;
}

function isEmptyDefault(field: FieldDef): boolean {
  return isEmptyValue(field.default);
}

function shown(value: unknown): string {
  return typeof value === 'string' ? quote(value) : JSON.stringify(value);
}

/**
 * Cobbler's own encodings of "unset" that bootwright spells as an empty value: serial_device and serial_baud_rate
 * are -1 when off (enums.BaudRates.DISABLED), repo breed and arch are "none" (enums.RepoBreeds/RepoArchs.NONE).
 */
function cobblerUnset(field: FieldDef, value: unknown): boolean {
  if ((field.name === 'serial_device' || field.name === 'serial_baud_rate') && Number(value) === -1)
    return true;
  return field.type === 'enum' && value === 'none' && !field.choices?.includes('none');
}

interface FieldOutcome {
  value?: unknown;
  loss?: string;
}

function convertValue(field: FieldDef, value: unknown, what: string): FieldOutcome {
  if (isNone(value)) return {};
  if (cobblerUnset(field, value)) {
    if (field.type === 'enum' && !field.choices?.includes(''))
      return {
        loss: `${what} = ${shown(value)} has no counterpart; bootwright's default ${shown(field.default)} stands.`,
      };
    return {};
  }
  // Cobbler inherits some fields bootwright does not (a system's filename, a repo's proxy): with nothing set
  // anywhere in the chain both end up empty, which is bootwright's default for them.
  if (value === INHERIT && field.default !== INHERIT) {
    if (isEmptyDefault(field) || field.type === 'dict' || field.type === 'list' || field.type === 'params')
      return {};
    return {
      loss: `${what} inherits in Cobbler; bootwright does not inherit it and keeps its default ${shown(field.default)}.`,
    };
  }
  const given = typeof value === 'number' && field.type !== 'int' ? String(value) : value;
  try {
    return { value: parseFieldValue(field, given, what) };
  } catch (error) {
    // The parser's sentence names the field and quotes the value already.
    return { loss: asBootwrightError(error).message };
  }
}

function convertInterfaces(interfaces: unknown, losses: string[]): Record<string, Record<string, unknown>> {
  const converted: Record<string, Record<string, unknown>> = {};
  if (interfaces === null || typeof interfaces !== 'object') return converted;
  for (const [ifname, data] of Object.entries(interfaces as Record<string, unknown>)) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries((data ?? {}) as Record<string, unknown>)) {
      const what = `interface ${quote(ifname)} field ${key}`;
      const field = findField(interfaceFields, key);
      if (!field) {
        if (!isEmptyValue(value))
          losses.push(`${what} = ${shown(value)}: bootwright has no such interface field.`);
        continue;
      }
      const outcome = convertValue(field, value, what);
      if (outcome.loss) losses.push(outcome.loss);
      if (outcome.value !== undefined) fields[field.name] = outcome.value;
    }
    converted[ifname] = fields;
  }
  return converted;
}

/**
 * The changes that make this record here, or undefined with the reason when its kind has no counterpart. A field
 * bootwright lacks is a loss when it holds a value; when it holds Cobbler's empty or inherited value nothing is lost.
 */
export function convertRecord(
  record: CobblerRecord,
  autoinstallName: (value: string) => string | undefined,
): ConvertedRecord | { unsupported: string } {
  if (!isObjectKind(record.kind)) {
    return { unsupported: `bootwright has no ${record.kind} objects yet.` };
  }
  const kind = record.kind;
  const losses: string[] = [];
  const changes: Record<string, unknown> = { name: record.name };
  const data = record.data;
  for (const [key, value] of Object.entries(data)) {
    if (bookkeepingKeys.has(key)) continue;
    const what = `field ${key}`;
    if (key === 'interfaces' && kind === 'system') {
      changes.interfaces = convertInterfaces(value, losses);
      continue;
    }
    const field = fieldsByKind[kind].find((candidate) => candidate.name === (renamedFields[key] ?? key));
    if (!field || field.readOnly) {
      if (!isEmptyValue(value)) losses.push(`${what} = ${shown(value)}: bootwright has no such field.`);
      continue;
    }
    let given = value;
    if (field.name === 'autoinstall' && typeof value === 'string' && value !== INHERIT && value !== '') {
      const name = autoinstallName(value);
      if (name === undefined) {
        losses.push(`${what} = ${shown(value)} lies outside Cobbler's templates directory.`);
        continue;
      }
      given = name;
    }
    const outcome = convertValue(field, given, what);
    if (outcome.loss) losses.push(outcome.loss);
    if (outcome.value !== undefined) changes[field.name] = outcome.value;
  }
  // A sub-profile's distro comes from its root profile (Cobbler's blender never lets a later "distro" win).
  if (kind === 'profile' && changes.parent) delete changes.distro;
  return { kind, name: record.name, changes, losses };
}

/** Orders profiles so that each comes after its parent, as Cobbler's loader sorts by depth. */
export function parentsFirst(records: CobblerRecord[]): CobblerRecord[] {
  const byName = new Map(records.map((record) => [record.name, record]));
  const depth = (record: CobblerRecord, seen = new Set<string>()): number => {
    const parent = record.data.parent;
    if (typeof parent !== 'string' || parent === '' || parent === '~' || seen.has(record.name)) return 0;
    seen.add(record.name);
    const above = byName.get(parent);
    return above ? depth(above, seen) + 1 : 0;
  };
  return [...records].sort((a, b) => depth(a) - depth(b) || a.name.localeCompare(b.name));
}

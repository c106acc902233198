// Reading a Cobbler 3.x installation from disk, laid out as Cobbler 3.3 keeps it:
//   /var/lib/cobbler/collections/<kind>s/NAME.json   one object per file (cobbler/modules/serializers/file.py)
//   /var/lib/cobbler/templates/, snippets/, scripts/   autoinstall templates, snippets (per_system/, per_profile/)
//   /etc/cobbler/settings.yaml                         the settings
// Files that are not Cobbler's are reported, never skipped without a word.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { invalid, quote } from '../errors.js';
import { type CobblerKind, type CobblerRecord, cobblerKinds, collectionFolders } from './cobbler-record.js';

export interface CobblerTree {
  records: CobblerRecord[];
  /** Files under collections/ that could not be read as objects, one sentence each. */
  unreadable: string[];
  /** Template, snippet and script files by library folder, relative paths. */
  libraryFiles: { folder: LibraryFolder; relativePath: string; absolutePath: string }[];
}

export const libraryFolders = ['templates', 'snippets', 'scripts'] as const;
export type LibraryFolder = (typeof libraryFolders)[number];

function filesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(path);
    }
  };
  walk(root);
  return found.sort();
}

function readCollection(dir: string, kind: CobblerKind, unreadable: string[]): CobblerRecord[] {
  const records: CobblerRecord[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!entry.isFile() || !entry.name.endsWith('.json')) {
      unreadable.push(`${path}: not a NAME.json file, so not a Cobbler ${kind}.`);
      continue;
    }
    const name = entry.name.slice(0, -'.json'.length);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      unreadable.push(`${path}: not valid JSON (${(error as Error).message}).`);
      continue;
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      unreadable.push(`${path}: holds no JSON object.`);
      continue;
    }
    // Cobbler refuses a file whose "name" differs from its file name; so does this.
    const inside = (data as Record<string, unknown>).name;
    if (inside !== name) {
      unreadable.push(
        `${path}: its "name" is ${quote(String(inside))}, not ${quote(name)} as the file name says.`,
      );
      continue;
    }
    records.push({ kind, name, data: data as Record<string, unknown>, source: path });
  }
  return records.sort((a, b) => a.name.localeCompare(b.name));
}

/** Reads collections/, templates/, snippets/ and scripts/ under `path` (Cobbler's /var/lib/cobbler). */
export function readCobblerTree(path: string): CobblerTree {
  const collections = join(path, 'collections');
  if (!existsSync(collections) || !statSync(collections).isDirectory()) {
    throw invalid(
      `${quote(path)} has no collections/ directory, so it is not Cobbler 3.x's /var/lib/cobbler; pass --path=/var/lib/cobbler (Cobbler 2.x kept config/ instead: upgrade it to 3.x first).`,
    );
  }
  const unreadable: string[] = [];
  const known = new Set(Object.values(collectionFolders));
  const records: CobblerRecord[] = [];
  for (const entry of readdirSync(collections, { withFileTypes: true })) {
    if (!entry.isDirectory() || !known.has(entry.name)) {
      unreadable.push(`${join(collections, entry.name)}: not one of Cobbler's collections.`);
    }
  }
  for (const kind of cobblerKinds) {
    const dir = join(collections, collectionFolders[kind]);
    if (existsSync(dir)) records.push(...readCollection(dir, kind, unreadable));
  }
  const libraryFiles: CobblerTree['libraryFiles'] = [];
  for (const folder of libraryFolders) {
    const root = join(path, folder);
    if (!existsSync(root)) continue;
    for (const absolutePath of filesUnder(root))
      libraryFiles.push({ folder, relativePath: relative(root, absolutePath), absolutePath });
  }
  return { records, unreadable, libraryFiles };
}

/** Cobbler's settings.yaml as a plain object. */
export function readCobblerSettings(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw invalid(
      `Cobbler settings ${quote(path)} cannot be read; pass --settings=PATH to name settings.yaml.`,
    );
  }
  let settings: unknown;
  try {
    settings = parseYaml(text);
  } catch (error) {
    throw invalid(`Cobbler settings ${quote(path)} is not valid YAML: ${(error as Error).message}`);
  }
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings))
    throw invalid(`Cobbler settings ${quote(path)} holds no YAML mapping of setting names to values.`);
  return settings as Record<string, unknown>;
}

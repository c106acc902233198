// Cobbler's "key=value" dictionaries: kernel options, autoinstall_meta and friends are typed by people as
// `console=ttyS0,115200 quiet !rhgb`, so they are parsed shell-style, a key without `=` has the value null,
// a repeated key collects a list, and `!key` is kept as a marker that removes `key` during inheritance.

import { invalid, quote } from '../errors.js';
import type { KvDict, KvValue } from './kinds.js';

/** Splits a string into words the way a POSIX shell would (quotes and backslashes), without expanding anything. */
export function shellSplit(input: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quoteChar: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const char = input[i] as string;
    if (quoteChar === "'") {
      if (char === "'") quoteChar = undefined;
      else current += char;
      continue;
    }
    if (quoteChar === '"') {
      if (char === '"') quoteChar = undefined;
      else if (char === '\\' && i + 1 < input.length && '"\\$`'.includes(input[i + 1] as string))
        current += input[++i];
      else current += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quoteChar = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < input.length) {
      current += input[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quoteChar) throw invalid(`Cannot parse ${quote(input)}: a ${quoteChar} quote is not closed.`);
  if (inWord) words.push(current);
  return words;
}

/** Parses `k=v k2 !k3 k=v2` into a dictionary; repeated keys become lists in the order given. */
export function parseKvString(input: string): KvDict {
  const dict: KvDict = {};
  for (const word of shellSplit(input)) {
    const eq = word.indexOf('=');
    const key = eq === -1 ? word : word.slice(0, eq);
    const value = eq === -1 ? null : word.slice(eq + 1);
    if (key === '')
      throw invalid(`Cannot parse ${quote(word)} in ${quote(input)}: expected key=value or a bare key.`);
    dict[key] = addValue(dict[key], value, key in dict);
  }
  return dict;
}

function addValue(existing: KvValue | undefined, value: string | null, present: boolean): KvValue {
  if (!present || existing === undefined) return value;
  if (value === null) return existing;
  if (existing === null) return value;
  return Array.isArray(existing) ? [...existing, value] : [existing, value];
}

/** Accepts a dictionary given as a string or as a JSON object (REST, XML-RPC) and checks its values. */
export function toKvDict(input: unknown, what: string): KvDict {
  if (input === null || input === undefined || input === '') return {};
  if (typeof input === 'string') return parseKvString(input);
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(
      `${what} must be "key=value ..." text or an object, received ${quote(JSON.stringify(input))}.`,
    );
  }
  const dict: KvDict = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (value === null || value === undefined || value === '~') dict[key] = null;
    else if (Array.isArray(value)) {
      if (value.some((item) => item !== null && typeof item === 'object')) {
        throw invalid(
          `${what}: the value of ${quote(key)} must be text or a list of text, not a list of objects.`,
        );
      }
      dict[key] = value.map((item) => String(item));
    } else if (typeof value === 'object') {
      throw invalid(`${what}: the value of ${quote(key)} must be text or a list of text, not an object.`);
    } else dict[key] = String(value);
  }
  return dict;
}

function quoteWord(word: string): string {
  return /^[^\s'"\\]*$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The inverse of parseKvString: what a kernel command line or `report` shows. */
export function kvToString(dict: KvDict): string {
  const words: string[] = [];
  for (const [key, value] of Object.entries(dict)) {
    if (value === null) words.push(quoteWord(key));
    else for (const item of Array.isArray(value) ? value : [value]) words.push(quoteWord(`${key}=${item}`));
  }
  return words.join(' ');
}

/**
 * Merges a child dictionary over its parent's: child keys win, and a `!key` entry removes `key` from what the
 * parents gave. The removal happens at the level that says it, so a lower level may add the key back.
 */
export function mergeKvDicts(parent: KvDict, child: KvDict): KvDict {
  const merged: KvDict = { ...parent };
  for (const [key, value] of Object.entries(child)) {
    if (key.startsWith('!')) delete merged[key.slice(1)];
    else merged[key] = value;
  }
  return merged;
}

/** `--in-place` edits change only the given keys; `~key` (Cobbler's spelling) deletes a key outright. */
export function editKvDictInPlace(existing: KvDict, changes: KvDict): KvDict {
  const edited: KvDict = { ...existing };
  for (const [key, value] of Object.entries(changes)) {
    if (key.startsWith('~')) delete edited[key.slice(1)];
    else edited[key] = value;
  }
  return edited;
}

// `list` with criteria: glob patterns on names, fields and interface fields (`bootwright system find`, the REST
// query string, XML-RPC find_*). An exact MAC, IP, hostname or DNS name goes through the unique-key index first.

import { invalid, quote } from '../errors.js';
import { fieldsByKind, findField } from '../model/fields.js';
import { compileGlob } from '../model/glob.js';
import type { InventoryObject, KvDict, NetworkInterface, ObjectKind } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
import type { StoreReader, UniqueKeyType } from '../store/store.js';
import { findInterfaceField } from './field-changes.js';
import type { ListQuery } from './types.js';

function valueAsText(value: unknown): string[] {
  if (value === null || value === undefined) return [''];
  if (Array.isArray(value)) return value.length === 0 ? [''] : value.map(String);
  if (typeof value === 'object') return [kvToString(value as KvDict)];
  return [String(value)];
}

/** The unique-key index a system search field can use: hostname, or an interface's MAC, IP or DNS name. */
function indexedKeyType(key: string): UniqueKeyType | undefined {
  const field = findField(fieldsByKind.system, key);
  if (field) return field.name === 'hostname' ? 'hostname' : undefined;
  const indexed: Record<string, UniqueKeyType> = {
    mac_address: 'mac',
    ip_address: 'ip',
    dns_name: 'dns_name',
  };
  const ifaceField = findInterfaceField(key);
  return ifaceField ? indexed[ifaceField.name] : undefined;
}

/** A test of every criterion, each glob compiled once for the whole search (a long pattern is refused here). */
function criteriaMatcher(criteria: Record<string, string>): (object: InventoryObject) => boolean {
  const globs = Object.entries(criteria).map(
    ([key, pattern]) => [key, compileGlob(pattern, `Search pattern for ${quote(key)}`)] as const,
  );
  return (object) => {
    const fields = fieldsByKind[object.kind];
    return globs.every(([key, glob]) => {
      if (key === 'name') return glob.test(object.name);
      const field = findField(fields, key);
      if (field) return valueAsText(object.fields[field.name]).some((text) => glob.test(text));
      const ifaceField = object.kind === 'system' ? findInterfaceField(key) : undefined;
      if (ifaceField) {
        return Object.values(object.interfaces ?? {}).some((iface) =>
          valueAsText(iface[ifaceField.name as keyof NetworkInterface]).some((text) => glob.test(text)),
        );
      }
      throw invalid(`Cannot search ${object.kind}s by ${quote(key)}: there is no such field.`);
    });
  };
}

/**
 * For a search by an exact MAC, IP address, hostname or DNS name (koan's and the installers' lookups), the systems
 * the unique-key index names, in name order, instead of every system: a superset of the matches, since the index
 * holds every such value lowercased and the glob match is case-insensitive. Undefined when no criterion can use it.
 */
async function indexedCandidates(
  reader: StoreReader,
  kind: ObjectKind,
  criteria: Record<string, string>,
): Promise<InventoryObject[] | undefined> {
  if (kind !== 'system') return undefined;
  const exact = Object.entries(criteria).find(
    ([key, pattern]) => pattern !== '' && !/[*?[]/.test(pattern) && indexedKeyType(key) !== undefined,
  );
  if (!exact) return undefined;
  // An unknown field is refused as the full search refuses it, even when the index finds nothing to test.
  for (const key of Object.keys(criteria)) {
    if (key !== 'name' && !findField(fieldsByKind.system, key) && !findInterfaceField(key))
      throw invalid(`Cannot search systems by ${quote(key)}: there is no such field.`);
  }
  const refs = await reader.findByKey(indexedKeyType(exact[0]) as UniqueKeyType, exact[1]);
  const systems = await Promise.all(refs.map((ref) => reader.get('system', ref.name)));
  return systems.filter((system): system is InventoryObject => system !== undefined);
}

/** The objects of a kind matching every criterion, in name order, the page the query asks for. */
export async function searchObjects(
  reader: StoreReader,
  kind: ObjectKind,
  query: ListQuery = {},
): Promise<InventoryObject[]> {
  const criteria = query.criteria ?? {};
  if (Object.keys(criteria).length === 0) return reader.list(kind, query);
  const matches = criteriaMatcher(criteria);
  const candidates = (await indexedCandidates(reader, kind, criteria)) ?? (await reader.list(kind));
  const found = candidates.filter(matches);
  const offset = query.offset ?? 0;
  return found.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
}

// What the store indexes for each object: the objects its reference fields name (for "removal would orphan" checks and
// renames) and its unique values (MAC, IP, hostname, DNS name) so that duplicate checks never scan every system.

import { fieldsByKind } from '../model/fields.js';
import type { InventoryObject } from '../model/kinds.js';
import type { ObjectRef, UniqueKeyType } from './store.js';

export function referencesOf(object: InventoryObject): ObjectRef[] {
  const refs: ObjectRef[] = [];
  for (const field of fieldsByKind[object.kind]) {
    if (!field.refKind) continue;
    const value = object.fields[field.name];
    const names = Array.isArray(value) ? value : value ? [String(value)] : [];
    for (const name of names) refs.push({ kind: field.refKind, name: String(name) });
  }
  return refs;
}

export function uniqueKeysOf(object: InventoryObject): { type: UniqueKeyType; value: string }[] {
  if (object.kind !== 'system') return [];
  const keys: { type: UniqueKeyType; value: string }[] = [];
  const hostname = String(object.fields.hostname ?? '');
  if (hostname) keys.push({ type: 'hostname', value: hostname.toLowerCase() });
  for (const iface of Object.values(object.interfaces ?? {})) {
    if (iface.mac_address) keys.push({ type: 'mac', value: iface.mac_address });
    if (iface.ip_address) keys.push({ type: 'ip', value: iface.ip_address });
    if (iface.dns_name) keys.push({ type: 'dns_name', value: iface.dns_name.toLowerCase() });
  }
  return keys;
}

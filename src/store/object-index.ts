// What the store indexes for each object: the objects it references (for "removal would orphan" checks and
// renames) and its unique values (MAC, IP, hostname, DNS name) so that duplicate checks never scan every system.

import type { InventoryObject } from '../model/kinds.js';
import type { ObjectRef, UniqueKeyType } from './store.js';

export function referencesOf(object: InventoryObject): ObjectRef[] {
  const refs: ObjectRef[] = [];
  const { fields } = object;
  if (object.kind === 'profile') {
    if (fields.distro) refs.push({ kind: 'distro', name: String(fields.distro) });
    if (fields.parent) refs.push({ kind: 'profile', name: String(fields.parent) });
    for (const repo of (fields.repos ?? []) as string[]) refs.push({ kind: 'repo', name: repo });
  }
  if (object.kind === 'system' && fields.profile)
    refs.push({ kind: 'profile', name: String(fields.profile) });
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

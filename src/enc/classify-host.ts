// Classifying a host by name against the inventory: find its system (by the DNS name of an interface, as
// Cobbler's find_system_by_dns_name does, else by hostname), read the role rules, and classify. The server and a
// local CLI use the store's index; `role test` against a remote server searches through the REST API instead.

import { invalid } from '../errors.js';
import type { ListQuery } from '../inventory/inventory.js';
import type { BlendedView } from '../model/blend.js';
import type { InventoryObject, ObjectKind } from '../model/kinds.js';
import { parseHostname } from '../model/values.js';
import type { EventInput, ObjectRef } from '../store/store.js';
import { type Classification, classify, roleRuleOf } from './classify.js';

/** What the classifier reads; both the local Inventory and a remote one (InventoryBackend) have it. */
export interface ClassifierInventory {
  list(kind: ObjectKind, query?: ListQuery): Promise<InventoryObject[]>;
  blended(kind: ObjectKind, name: string): Promise<BlendedView>;
}

/** Names of the systems holding a DNS name or hostname. */
export type SystemFinder = (key: 'dns_name' | 'hostname', value: string) => Promise<string[]>;

/** The local inventory's unique-key index, by which it finds the systems holding a value. */
export interface IndexedInventory {
  systemsWithKey(type: 'dns_name' | 'hostname', value: string): Promise<ObjectRef[]>;
}

export function indexedSystemFinder(inventory: IndexedInventory): SystemFinder {
  return async (key, value) => (await inventory.systemsWithKey(key, value)).map((ref) => ref.name);
}

function searchingSystemFinder(inventory: ClassifierInventory): SystemFinder {
  // A checked host name holds no glob characters, so as a `find` pattern it matches only itself.
  return async (key, value) =>
    (await inventory.list('system', { criteria: { [key]: value } })).map((system) => system.name);
}

export async function classifyHost(
  inventory: ClassifierInventory,
  hostName: string,
  findSystems: SystemFinder = searchingSystemFinder(inventory),
): Promise<Classification> {
  const fqdn = parseHostname(hostName, 'Host name');
  if (fqdn === '')
    throw invalid('Host name is missing; give the fully qualified name puppet knows the node by.');
  const rules = (await inventory.list('role')).map(roleRuleOf);
  for (const via of ['dns_name', 'hostname'] as const) {
    const [name] = await findSystems(via, fqdn);
    if (name !== undefined) {
      return classify(fqdn, rules, { name, via, view: await inventory.blended('system', name) });
    }
  }
  return classify(fqdn, rules);
}

/**
 * Each classifier request is a machine checking in, at its first boot and on every puppet run after. The request
 * comes from the puppet server, not the machine, so `source` names the requester and never identifies a system.
 */
export function checkInEvent(classification: Classification, source?: string): EventInput {
  return {
    type: 'enc.checkin',
    ...(classification.system ? { system: classification.system.name } : {}),
    ...(source ? { source } : {}),
    detail: {
      fqdn: classification.fqdn,
      classes: classification.classes.join(' '),
      ...(classification.environment ? { environment: classification.environment } : {}),
      rules: classification.matched.map((verdict) => verdict.rule),
    },
  };
}

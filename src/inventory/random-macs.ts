// MACs chosen for the asker: `--mac=random` on a system, and koan's or the CLI's request for one. The vendor prefix
// follows the virt type (model/random-mac.ts), and a MAC any system holds is never chosen.

import type { InventoryObject } from '../model/kinds.js';
import { randomMac } from '../model/random-mac.js';
import type { StoreReader } from '../store/store.js';
import type { Resolver } from './resolution.js';

/** What an interface's MAC holds from `--mac=random` until the system is checked and written. */
export const RANDOM_MAC = 'random';

/** Replaces each RANDOM_MAC of a system with a MAC for its blended virt type, distinct from any stored or given. */
export async function assignRandomMacs(
  reader: StoreReader,
  resolver: Resolver,
  system: InventoryObject,
): Promise<void> {
  const wanting = Object.values(system.interfaces ?? {}).filter((iface) => iface.mac_address === RANDOM_MAC);
  if (wanting.length === 0) return;
  const view = await resolver.blendObject(system, reader);
  const taken = new Set<string>();
  for (const iface of wanting) {
    iface.mac_address = await randomMac(String(view.virt_type ?? ''), async (mac) => {
      return taken.has(mac) || (await reader.findByKey('mac', mac)).length > 0;
    });
    taken.add(iface.mac_address);
  }
}

/** A MAC no system uses yet, with the vendor prefix of the given virtualization type. */
export async function unusedMac(reader: StoreReader, resolver: Resolver, virtType?: string): Promise<string> {
  const type = virtType || String((await resolver.settings(reader)).default_virt_type);
  return randomMac(type, async (mac) => (await reader.findByKey('mac', mac)).length > 0);
}

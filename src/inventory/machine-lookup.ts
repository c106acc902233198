// Which machine is this? A DHCP packet, a TFTP or HTTP request and an installer's report each carry a MAC, an IP
// address, or both; this is the one place that turns them into a system: by MAC through the unique-key index, by a
// system's static address, and for a machine on the dynamic pool by its live DHCP lease.

import type { InventoryObject } from '../model/kinds.js';
import { parseMac } from '../model/values.js';
import type { Inventory } from './inventory.js';
import { VersionedCache } from './versioned-cache.js';

/** More MACs than a site has machines: unknown ones (every client of a DHCP pool) are kept too. */
const NAMES_KEPT = 65_536;

/** What the lookup needs of the DHCP leases: who holds an address now. */
export interface LeaseHolders {
  byAddress(address: string): Promise<{ mac: string; state: string; expiresAt: number } | undefined>;
}

export class MachineLookup {
  /**
   * Which system holds a MAC, or none, while the inventory version stands: every DHCP packet and each of its
   * timeline events asks, most of them for MACs of no system, and a query of the unique-key index each time cost
   * about a fifth of the DHCP server's CPU.
   */
  readonly #namesByMac = new VersionedCache<string | undefined>(NAMES_KEPT);

  constructor(
    private readonly inventory: Inventory,
    /** The DHCP server's leases, when it runs: then a pool address leads to its holder's MAC. */
    private readonly leases?: LeaseHolders,
  ) {}

  /** The system with this MAC (any spelling); undefined for an unknown or malformed one. */
  async systemByMac(mac: string): Promise<InventoryObject | undefined> {
    const version = await this.inventory.inventoryVersion();
    // Kept by the MAC as given, so that parsing it (a few regular expressions) is done once per spelling too.
    const name = await this.#namesByMac.get(version, mac, async () => {
      let canonical: string;
      try {
        canonical = parseMac(mac);
      } catch {
        return undefined;
      }
      return (await this.inventory.systemsWithKey('mac', canonical))[0]?.name;
    });
    return name === undefined ? undefined : this.inventory.find('system', name);
  }

  /** The system whose interface has this static address. */
  async systemByIp(ip: string): Promise<InventoryObject | undefined> {
    const ref = (await this.inventory.systemsWithKey('ip', ip))[0];
    return ref ? this.inventory.find('system', ref.name) : undefined;
  }

  /**
   * The system a request came from: by its MAC when it carries one; else by its address, a static one first, then
   * the MAC of a bound, unexpired lease on it (a TFTP or HTTP request carries only the address).
   */
  async systemFor({ mac, ip }: { mac?: string; ip?: string }): Promise<InventoryObject | undefined> {
    if (mac) return this.systemByMac(mac);
    if (!ip) return undefined;
    const address = ip.replace(/^::ffff:/, '');
    const byAddress = await this.systemByIp(address);
    if (byAddress || !this.leases) return byAddress;
    const lease = await this.leases.byAddress(address);
    return lease?.state === 'bound' && lease.expiresAt >= Date.now()
      ? this.systemByMac(lease.mac)
      : undefined;
  }

  /**
   * Every system a request may be from, for Cobbler's autodetect: those holding any of the MACs an installer sent
   * (Anaconda's X-RHN-Provisioning-MAC headers), else those with the request's static address.
   */
  async systemNamesFor(macs: readonly string[], ip: string | undefined): Promise<string[]> {
    const names = new Set<string>();
    for (const mac of macs) {
      for (const ref of await this.inventory.systemsWithKey('mac', mac)) names.add(ref.name);
    }
    const address = (ip ?? '').replace(/^::ffff:/, '');
    if (names.size === 0 && address) {
      for (const ref of await this.inventory.systemsWithKey('ip', address)) names.add(ref.name);
    }
    return [...names];
  }
}

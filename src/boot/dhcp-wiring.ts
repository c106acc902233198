// How the DHCP server sees bootwright: its configuration comes from the settings, and the machines it knows are
// the systems of the inventory (by MAC), with their static addresses reserved out of the pool.

import { IPXE_USER_CLASS } from '../dhcp/options.js';
import type { DhcpConfig, DhcpDirectory, DhcpHost, DhcpMode } from '../dhcp/policy.js';
import { invalid } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import { MachineLookup } from '../inventory/machine-lookup.js';
import { VersionedCache } from '../inventory/versioned-cache.js';
import { httpServer } from '../model/blend.js';
import type { Settings } from '../model/settings.js';
import { isHostname, parseHost, parseHostname, parseIpv4Subnet, parseMac } from '../model/values.js';
import { dhcpBootFiles, dhcpScriptPath } from './loaders/registry.js';

function subnetOf(text: string): { network: string; prefix: number } {
  const hint = 'set it with "bootwright setting edit --name=dhcp_subnet --value=..."';
  let subnet: string;
  try {
    subnet = parseIpv4Subnet(text, 'Setting dhcp_subnet');
  } catch (error) {
    throw invalid(`${(error as Error).message.replace(/\.$/, '')}; ${hint}.`);
  }
  if (subnet === '') throw invalid(`Setting dhcp_subnet is empty; ${hint}.`);
  const [network, prefix] = subnet.split('/') as [string, string];
  return { network, prefix: Number(prefix) };
}

/** The DHCP configuration the settings describe; undefined when DHCP is off. */
export function dhcpConfigFromSettings(settings: Settings): DhcpConfig | undefined {
  const mode = String(settings.dhcp_mode ?? 'off') as DhcpMode;
  if (mode === 'off') return undefined;
  const serverAddress = String(settings.next_server || settings.server);
  // Checked again here, not only when set: a store written by an older version may hold anything, and these end up
  // in DHCP options and in the site's dnsmasq and dhcpd configs.
  const server = parseHost(settings.server, 'Setting server');
  const base = `http://${httpServer(server, settings.http_port)}`;
  const dns = (settings.dhcp_dns_servers ?? []) as string[];
  const chain = settings.dhcp_boot_loader === 'ipxe' ? 'ipxe' : 'pxelinux';
  const config: DhcpConfig = {
    mode,
    serverAddress,
    subnet: subnetOf(String(settings.dhcp_subnet ?? '')),
    dnsServers: dns.length > 0 ? dns : [serverAddress],
    leaseSeconds: Number(settings.dhcp_lease_time ?? 3600),
    bootFiles: dhcpBootFiles(chain),
    httpBootUrl: `${base}/boot/`,
  };
  // In the pxelinux chain an iPXE ROM (QEMU's, libvirt's) loads pxelinux.0 like any PXE ROM, as with Cobbler when
  // enable_ipxe is off; only the iPXE chain sends iPXE straight to its script.
  const ipxeScript = dhcpScriptPath(chain, IPXE_USER_CLASS);
  if (ipxeScript) config.ipxeScriptUrl = (mac) => `${base}${ipxeScript(mac)}`;
  if (settings.dhcp_router) config.router = String(settings.dhcp_router);
  if (settings.dhcp_domain) config.domain = parseHostname(settings.dhcp_domain, 'Setting dhcp_domain');
  if (settings.dhcp_range_start || settings.dhcp_range_end) {
    config.pool = { start: String(settings.dhcp_range_start), end: String(settings.dhcp_range_end) };
  }
  return config;
}

/**
 * More machines than a served subnet holds: every DHCP client is looked up on each DISCOVER and REQUEST, and the
 * unknown ones (the dynamic pool) most of all, so their "no system" is kept too.
 */
const HOSTS_KEPT = 65_536;

export class InventoryDhcpDirectory implements DhcpDirectory {
  /** Each client's host, or none, while the inventory version stands: a store query per packet cost ~15% of DHCP's CPU. */
  readonly #hosts = new VersionedCache<DhcpHost | undefined>(HOSTS_KEPT);
  readonly #reserved = new VersionedCache<Set<string>>(1);

  private readonly machines: MachineLookup;

  constructor(private readonly inventory: Inventory) {
    this.machines = new MachineLookup(inventory);
  }

  /** The policy only reads the host it is given, so each caller shares the one kept. */
  async hostByMac(mac: string): Promise<DhcpHost | undefined> {
    const version = await this.inventory.inventoryVersion();
    return this.#hosts.get(version, mac, () => this.lookUpHost(mac));
  }

  private async lookUpHost(mac: string): Promise<DhcpHost | undefined> {
    const canonical = parseMac(mac);
    const system = await this.machines.systemByMac(canonical);
    if (!system) return undefined;
    const iface = Object.values(system.interfaces ?? {}).find(
      (candidate) => candidate.mac_address === canonical,
    );
    const host: DhcpHost = { name: system.name, netbootEnabled: system.fields.netboot_enabled === true };
    if (iface?.ip_address) host.ipAddress = iface.ip_address;
    if (iface?.netmask) host.netmask = iface.netmask;
    const gateway = iface?.if_gateway || String(system.fields.gateway ?? '');
    if (gateway) host.gateway = gateway;
    const hostname = String(system.fields.hostname ?? '') || iface?.dns_name || '';
    // Option 12 reaches the client's DHCP hook scripts; a name an older store let through is left out, not sent.
    if (hostname && isHostname(hostname)) host.hostname = hostname;
    return host;
  }

  /** Asked for every new client of the pool; a system added with an address is reserved from its next request on. */
  async reservedAddresses(): Promise<Set<string>> {
    const version = await this.inventory.inventoryVersion();
    return this.#reserved.get(version, 'ip', async () => new Set(await this.inventory.keysOfType('ip')));
  }
}

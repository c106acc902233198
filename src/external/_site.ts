// What the configuration of a site's own DHCP and DNS servers is made of: the served network (from the settings,
// through the same wiring as bootwright's embedded DHCP server) and the machines of the inventory, reduced to
// host entries and address records. The renderers in dhcp-config.ts and dns-config.ts only format these.

import { dhcpConfigFromSettings } from '../boot/dhcp-wiring.js';
import { type Ipv4Subnet, inSubnet, ipv4ToInt, isIpv4, prefixToNetmask } from '../dhcp/ipv4.js';
import { ClientArch } from '../dhcp/options.js';
import { type BootFiles, checkDhcpConfig } from '../dhcp/policy.js';
import { invalid, quote } from '../errors.js';
import { httpServer } from '../model/blend.js';
import type { InventoryObject, NetworkInterface } from '../model/kinds.js';
import type { Settings } from '../model/settings.js';
import { parseDhcpTag, parseHost, parseHostname, parseIpv4, parseNetmask } from '../model/values.js';

export interface ExternalConfigInput {
  settings: Settings;
  /** Systems of the inventory, with their interfaces. */
  systems: readonly InventoryObject[];
}

function settingHint(name: string, example: string): string {
  return `set it with "bootwright setting edit --name=${name} --value=${example}"`;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (isIpv4(address) && address.startsWith('127.'));
}

/** The server setting as a machine on the network sees it; the loopback default would send installers nowhere. */
export function reachableSetting(settings: Settings, name: 'server' | 'next_server'): string {
  // Checked again, not only when set: a store written by an older version may hold anything.
  const value = parseHost(settings[name], `Setting ${name}`);
  if (value === '' || isLoopback(value)) {
    throw invalid(
      `Setting ${name} is ${quote(value)}, which the machines being installed cannot reach; ${settingHint(name, 'ADDRESS')}.`,
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// DHCP

/** One firmware family: the RFC 4578 option 93 types it sends and the file it is given. */
export interface ArchBootRule {
  /** Short, stable name for tags and class names: bios, efi-x64, efi-arm64, http-x64, http-arm64. */
  name: string;
  arches: readonly number[];
  /** UEFI HTTP boot: the file is an absolute URL and the reply says vendor class "HTTPClient". */
  http: boolean;
  file: string;
}

export interface DhcpSite {
  subnet: Ipv4Subnet;
  netmask: string;
  pool?: { start: string; end: string };
  router?: string;
  dnsServers: string[];
  domain?: string;
  leaseSeconds: number;
  /** siaddr: where PXE firmware fetches its boot file over TFTP. */
  nextServer: string;
  /** By firmware family, in the order the renderers test them. */
  bootRules: ArchBootRule[];
  /**
   * Set in the iPXE chain (dhcp_boot_loader ipxe) only, as in the embedded server: there iPXE, once chainloaded, must
   * be sent to its HTTP script or it would load itself again; in the pxelinux chain an iPXE ROM is PXE firmware.
   */
  ipxe?: {
    /** For machines that are not in the inventory: the menu, which the by-MAC script shows unknown MACs too. */
    menuUrl: string;
    scriptUrl: (mac: string) => string;
  };
}

/**
 * The architecture groups of the embedded server's policy (bootFileForArch in src/dhcp/policy.ts): 32-bit UEFI is
 * given the x64 file, and firmware that sends 9 where 7 is meant is common enough that both are x64.
 */
function bootRules(files: BootFiles, httpBootUrl: string): ArchBootRule[] {
  const url = (file: string) => new URL(file, httpBootUrl).href;
  return [
    { name: 'bios', arches: [ClientArch.BiosX86], http: false, file: files.bios },
    {
      name: 'efi-x64',
      arches: [ClientArch.EfiIa32, ClientArch.EfiX64, ClientArch.EfiBc],
      http: false,
      file: files.uefiX64,
    },
    { name: 'efi-arm64', arches: [ClientArch.EfiArm64], http: false, file: files.uefiArm64 },
    {
      name: 'http-x64',
      arches: [ClientArch.HttpEfiX86, ClientArch.HttpEfiX64],
      http: true,
      file: url(files.uefiX64),
    },
    { name: 'http-arm64', arches: [ClientArch.HttpEfiArm64], http: true, file: url(files.uefiArm64) },
  ];
}

/** The served network as the settings describe it; throws one sentence naming the setting that cannot work. */
export function dhcpSiteFromSettings(settings: Settings): DhcpSite {
  if (String(settings.dhcp_subnet ?? '').trim() === '') {
    throw invalid(
      `Setting dhcp_subnet is empty, so there is no network to configure; ${settingHint('dhcp_subnet', '192.0.2.0/24')}.`,
    );
  }
  const server = reachableSetting(settings, 'server');
  const nextServer = reachableSetting(settings, 'next_server');
  if (!isIpv4(nextServer)) {
    throw invalid(
      `Setting next_server ${quote(nextServer)} is not an IPv4 address, which DHCP hands out as next-server; ${settingHint('next_server', 'ADDRESS')}.`,
    );
  }
  // The embedded server's wiring reads the same settings; its mode only decides whether it runs at all.
  const config = dhcpConfigFromSettings({ ...settings, dhcp_mode: 'reservation' });
  if (!config) throw new Error('dhcpConfigFromSettings returned nothing in reservation mode');
  // Proxy mode checks the values alone (addresses, prefix, lease time, URL), not that next_server is on the subnet:
  // behind a relay the TFTP server need not be. Router and pool are checked here, naming their settings.
  checkDhcpConfig({ ...config, mode: 'proxy' });
  const where = `dhcp_subnet ${config.subnet.network}/${config.subnet.prefix}`;
  if (config.router !== undefined && !inSubnet(config.router, config.subnet)) {
    throw invalid(
      `Setting dhcp_router ${quote(config.router)} is not on ${where}; ${settingHint('dhcp_router', 'ADDRESS')}.`,
    );
  }
  if (config.pool) {
    const { start, end } = config.pool;
    for (const [name, value] of [
      ['dhcp_range_start', start],
      ['dhcp_range_end', end],
    ] as const) {
      if (!isIpv4(value) || !inSubnet(value, config.subnet)) {
        throw invalid(
          `Setting ${name} ${quote(value)} is not an address on ${where}; ${settingHint(name, 'ADDRESS')}.`,
        );
      }
    }
    if ((ipv4ToInt(start) as number) > (ipv4ToInt(end) as number)) {
      throw invalid(`Setting dhcp_range_start ${quote(start)} comes after dhcp_range_end ${quote(end)}.`);
    }
  }
  const site: DhcpSite = {
    subnet: config.subnet,
    netmask: prefixToNetmask(config.subnet.prefix),
    dnsServers: config.dnsServers,
    leaseSeconds: config.leaseSeconds,
    nextServer,
    bootRules: bootRules(config.bootFiles, config.httpBootUrl),
  };
  if (config.ipxeScriptUrl) {
    site.ipxe = {
      menuUrl: `http://${httpServer(server, settings.http_port)}/cblr/svc/op/ipxe`,
      scriptUrl: config.ipxeScriptUrl,
    };
  }
  if (config.pool) site.pool = config.pool;
  if (config.router !== undefined) site.router = config.router;
  if (config.domain !== undefined) site.domain = config.domain;
  return site;
}

/** One interface as the site's DHCP server should know it. */
export interface DhcpHostEntry {
  system: string;
  interface: string;
  /** Canonical: lower case, colon-separated. */
  mac: string;
  /** On the served subnet; absent for a machine that takes a pool address. */
  ipAddress?: string;
  hostname?: string;
  /** Set only where the interface differs from the subnet. */
  netmask?: string;
  router?: string;
  dhcpTag?: string;
  /** False: the address entry stays (the installed machine still uses it), the boot file goes. */
  netboot: boolean;
}

export interface LeftOut {
  system: string;
  interface: string;
  reason: string;
}

const SLAVE_TYPES = new Set(['bond_slave', 'bridge_slave', 'bonded_bridge_slave']);

/** Sorted by name, so the output does not change when nothing in the inventory did. */
function sortedInterfaces(system: InventoryObject): [string, NetworkInterface][] {
  return Object.entries(system.interfaces ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

function sortedSystems(systems: readonly InventoryObject[]): InventoryObject[] {
  return [...systems].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The host entries for the systems, one per interface with a MAC. As in Cobbler, the slaves of a bond or bridge
 * collapse onto their master: the first slave (by name) carries the master's address and name, the others are left
 * out, because one address cannot be reserved for several MACs. Where allow_duplicate_macs or allow_duplicate_ips
 * let two systems share one, the older system keeps it: adding a machine does not take a running one's entry.
 */
export function dhcpHostEntries(
  systems: readonly InventoryObject[],
  site: DhcpSite,
): { hosts: DhcpHostEntry[]; leftOut: LeftOut[] } {
  const hosts: DhcpHostEntry[] = [];
  const leftOut: LeftOut[] = [];
  const macOwner = new Map<string, string>();
  const ipOwner = new Map<string, string>();
  const where = `${site.subnet.network}/${site.subnet.prefix}`;
  const byAge = sortedSystems(systems).sort((a, b) => a.ctime - b.ctime);
  for (const system of byAge) {
    const interfaces = sortedInterfaces(system);
    const mastersTaken = new Set<string>();
    for (const [name, iface] of interfaces) {
      const skip = (reason: string) => leftOut.push({ system: system.name, interface: name, reason });
      if (!iface.mac_address) continue;
      let source = iface;
      if (SLAVE_TYPES.has(iface.interface_type) && iface.interface_master) {
        const master = system.interfaces?.[iface.interface_master];
        if (master && mastersTaken.has(iface.interface_master)) {
          skip(`another slave of ${quote(iface.interface_master)} carries its address`);
          continue;
        }
        if (master) {
          mastersTaken.add(iface.interface_master);
          source = master;
        }
      }
      const label = `system ${quote(system.name)} interface ${quote(name)}`;
      const macUser = macOwner.get(iface.mac_address);
      if (macUser !== undefined) {
        skip(`MAC ${iface.mac_address} is already the one of ${macUser}`);
        continue;
      }
      const entry: DhcpHostEntry = {
        system: system.name,
        interface: name,
        mac: iface.mac_address,
        // A BMC answers power requests; it never boots an installer.
        netboot: system.fields.netboot_enabled !== false && iface.interface_type !== 'bmc',
      };
      if (source.ip_address) {
        if (!inSubnet(source.ip_address, site.subnet)) {
          skip(`its address ${source.ip_address} is not on ${where}`);
          continue;
        }
        const ipUser = ipOwner.get(source.ip_address);
        if (ipUser !== undefined) {
          skip(`its address ${source.ip_address} is already reserved for ${ipUser}`);
          continue;
        }
        ipOwner.set(source.ip_address, label);
        entry.ipAddress = source.ip_address;
      }
      macOwner.set(iface.mac_address, label);
      // Each value is checked again with the rule it was written with: these lines are config syntax, and a store
      // written by an older version may hold anything.
      const what = `System ${quote(system.name)} interface ${quote(name)}`;
      const hostname = parseHostname(
        source.dns_name || String(system.fields.hostname ?? ''),
        `${what} host name`,
      );
      if (hostname) entry.hostname = hostname;
      const netmask = parseNetmask(source.netmask, `${what} netmask`);
      if (netmask && netmask !== site.netmask) entry.netmask = netmask;
      const router = parseIpv4(source.if_gateway || String(system.fields.gateway ?? ''), `${what} gateway`);
      if (router && router !== site.router) entry.router = router;
      const tag = parseDhcpTag(iface.dhcp_tag || source.dhcp_tag, `${what} DHCP tag`);
      if (tag) entry.dhcpTag = tag;
      hosts.push(entry);
    }
  }
  const byName = (a: { system: string; interface: string }, b: { system: string; interface: string }) =>
    a.system.localeCompare(b.system) || a.interface.localeCompare(b.interface);
  return { hosts: hosts.sort(byName), leftOut: leftOut.sort(byName) };
}

export function describeLeftOut(item: LeftOut): string {
  return `system ${quote(item.system)} interface ${quote(item.interface)}: ${item.reason}`;
}

// ---------------------------------------------------------------------------------------------------------------
// DNS

/** An A record with its PTR, from one interface that has both an address and a DNS name. */
export interface AddressRecord {
  fqdn: string;
  ip: string;
  /** Fully qualified aliases of fqdn. */
  cnames: string[];
}

/** The domain a name lives in: everything after its first label; "" for a single label. */
export function domainOf(fqdn: string): string {
  const dot = fqdn.indexOf('.');
  return dot === -1 ? '' : fqdn.slice(dot + 1);
}

function qualify(name: string, domain: string): string {
  return name.includes('.') || domain === '' ? name : `${name}.${domain}`;
}

/**
 * Address records of every interface with an IPv4 address and a DNS name. Names without a dot get the domain of
 * dhcp_domain; short CNAMEs the domain of the name they point to. A CNAME that is also the name of an address, or
 * that an earlier interface already uses, is left out: a name with a CNAME can have no other record (RFC 1034 §3.6.2).
 */
/** dhcp_domain, checked again: it becomes zone names and the domain of every short DNS name. */
export function siteDomain(settings: Settings): string {
  return parseHostname(settings.dhcp_domain, 'Setting dhcp_domain');
}

export function addressRecords(input: ExternalConfigInput): AddressRecord[] {
  const domain = siteDomain(input.settings);
  const records: AddressRecord[] = [];
  for (const system of sortedSystems(input.systems)) {
    for (const [name, iface] of sortedInterfaces(system)) {
      if (!iface.ip_address || !iface.dns_name) continue;
      // Checked again with the rules they were written with: these become zone file and hosts file syntax.
      const what = `System ${quote(system.name)} interface ${quote(name)}`;
      const fqdn = qualify(parseHostname(iface.dns_name, `${what} DNS name`), domain);
      const ip = parseIpv4(iface.ip_address, `${what} IP address`);
      const cnames = (iface.cnames ?? []).map((alias) =>
        qualify(parseHostname(alias, `${what} CNAME`), domainOf(fqdn)),
      );
      records.push({ fqdn, ip, cnames });
    }
  }
  const addressNames = new Set(records.map((record) => record.fqdn));
  const seen = new Set<string>();
  for (const record of records) {
    record.cnames = record.cnames.filter((alias) => {
      if (addressNames.has(alias) || seen.has(alias)) return false;
      seen.add(alias);
      return true;
    });
  }
  return records;
}

// What a virtual install needs, read from `get_system_as_rendered` / `get_profile_as_rendered` the way Koan reads
// it (cobbler-koan.md §7.2 and §7.6, koan-wire.md), with Koan's pitfalls fixed rather than copied: a float disk size
// is that size (not 1 GB), `~` and `<<inherit>>` mean "not set" (not a literal bridge or MAC), a flattened
// autoinstall_meta string is read like the struct, and a bad value is an error naming the field, not a traceback.

import { BootwrightError, quote } from '../errors.js';
import type { KvDict } from '../model/kinds.js';
import { kvToString, parseKvString } from '../model/kv.js';
import { usesLegacyKs } from '../templates/kernel-cmdline.js';

export type RenderedData = Record<string, unknown>;
export type KoanTargetKind = 'system' | 'profile' | 'image';

export interface NicSpec {
  /** The interface name on the server (eth0), or "" for a profile's single NIC. */
  name: string;
  mac?: string;
  bridge: string;
}

export interface InstallData {
  kind: KoanTargetKind;
  name: string;
  httpServer: string;
  breed: string;
  osVersion: string;
  distro: string;
  autoinstallUrl: string;
  kernelUrl?: string;
  initrdUrl?: string;
  /** Kernel options from the server, plus --kopts; the autoinstall argument is added by kernelArgs(). */
  kernelOptions: KvDict;
  ramMiB: number;
  vcpus: number;
  diskSizesGiB: number[];
  diskDrivers: string[];
  virtPath: string;
  virtType: string;
  autoBoot: boolean;
  pxeBoot: boolean;
  nics: NicSpec[];
}

const DEFAULT_RAM_MIB = 512;
const MIN_RAM_MIB = 64;
const DEFAULT_DISK_GIB = 5;
export const diskDrivers = ['raw', 'qcow2', 'qcow', 'qed', 'vmdk', 'aio'] as const;

/** `~` (Cobbler's None), `<<inherit>>` (leaked by Cobbler 3.3) and "" all mean the server set nothing. */
function unset(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === '~' || value === '<<inherit>>';
}

function text(data: RenderedData, key: string): string {
  const value = data[key];
  return unset(value) ? '' : String(value);
}

function bool(data: RenderedData, key: string): boolean {
  const value = data[key];
  return value === true || value === 1 || /^(1|true|yes|on)$/i.test(String(value ?? ''));
}

function positiveNumber(value: unknown, field: string, fallback: number): number {
  if (unset(value)) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new BootwrightError(
      'E_INVALID',
      `The server's ${field} is ${quote(String(value))}, not a positive number; fix it on the server (e.g. --${field.replaceAll('_', '-')}=1).`,
    );
  }
  return number;
}

/** `5`, `5.0` (Cobbler 3), `"5,10"`: one size per disk, in GiB. Koan turns 5.0 into 1 GB; here it is 5. */
export function parseDiskSizes(value: unknown): number[] {
  if (unset(value)) return [DEFAULT_DISK_GIB];
  const sizes = String(value)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const size = Number(part);
      if (!Number.isFinite(size) || size < 0) {
        throw new BootwrightError(
          'E_INVALID',
          `The server's virt_file_size ${quote(String(value))} is not a list of sizes in GB; fix it, e.g. --virt-file-size=5 or 5,10.`,
        );
      }
      return size;
    });
  return sizes.length === 0 ? [DEFAULT_DISK_GIB] : sizes;
}

function parseDiskDrivers(value: unknown): string[] {
  if (unset(value)) return ['raw'];
  return String(value)
    .split(',')
    .map((driver) => driver.trim())
    .map((driver) => ((diskDrivers as readonly string[]).includes(driver) ? driver : 'raw'));
}

/** The server's kernel_options: a "k=v k2" string (Koan needs a string; a dict from an old server works too). */
function kernelOptionsOf(data: RenderedData): KvDict {
  const value = data.kernel_options;
  if (unset(value)) return {};
  if (typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        unset(item) ? null : String(item),
      ]),
    );
  }
  return parseKvString(String(value));
}

/** autoinstall_meta as a struct, or as the "k=v" string Cobbler 3.3 flattens it to. */
export function autoinstallMeta(data: RenderedData): Record<string, unknown> {
  const value = data.autoinstall_meta ?? data.ks_meta;
  if (unset(value)) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return parseKvString(String(value));
}

function withHttpServer(url: string, httpServer: string): string {
  const substituted = url.replaceAll('@@http_server@@', httpServer).replaceAll('@@server@@', httpServer);
  return substituted.startsWith('/') ? `http://${httpServer}${substituted}` : substituted;
}

/** Koan's rule: a full URL is used as is; a template name, a path or nothing means the server's ks service. */
export function autoinstallUrlOf(data: RenderedData, kind: KoanTargetKind, name: string): string {
  const given = text(data, 'autoinst') || text(data, 'kickstart');
  if (/^(https?|ftp|nfs):\/\//.test(given)) return given;
  return `http://${text(data, 'http_server')}/cblr/svc/op/ks/${kind}/${name}`;
}

/** The install tree: autoinstall_meta's `tree`, with @@http_server@@ filled in and a path made a URL. */
export function treeOf(data: RenderedData): string | undefined {
  const tree = autoinstallMeta(data).tree;
  const fromMeta = unset(tree) ? '' : String(tree);
  const given = fromMeta || text(data, 'install_tree');
  return given === '' ? undefined : withHttpServer(given, text(data, 'http_server'));
}

/** The tree named by a kickstart's first `url --url=X` line (or `nfs --server=S --dir=D`), as Koan finds it. */
export function treeFromKickstart(kickstart: string): string | undefined {
  for (const line of kickstart.split('\n')) {
    const url = /^\s*url\s+.*--url[= ]\s*"?([^\s"]+)/.exec(line);
    if (url?.[1]) return url[1];
    const nfs = /^\s*nfs\s+/.test(line) ? line : undefined;
    if (nfs) {
      const server = /--server[= ](\S+)/.exec(nfs)?.[1];
      const dir = /--dir[= ](\S+)/.exec(nfs)?.[1];
      if (server && dir) return `nfs://${server}${dir}`;
    }
  }
  return undefined;
}

/** `kernel`/`initrd` as Koan reads them: a server path becomes /cobbler/images/DISTRO/BASENAME on http_server. */
function bootFileUrl(data: RenderedData, key: 'kernel' | 'initrd'): string | undefined {
  const value = text(data, key);
  if (value === '') return undefined;
  if (!value.startsWith('/')) return value;
  const base = value.slice(value.lastIndexOf('/') + 1);
  return `http://${text(data, 'http_server')}/cobbler/images/${encodeURIComponent(text(data, 'distro'))}/${base}`;
}

/** Interfaces Koan gives a NIC: not bonds or bridges, not VLANs (eth0.100) or aliases (eth0:1); sorted by name. */
function nicsOf(data: RenderedData, kind: KoanTargetKind, cliBridges: string[]): NicSpec[] {
  const fallbackBridge = text(data, 'virt_bridge');
  const bridgeAt = (index: number, own: string) =>
    cliBridges[index] ?? (cliBridges.length === 1 ? cliBridges[0] : undefined) ?? (own || fallbackBridge);
  if (kind !== 'system') {
    const bridge = bridgeAt(0, '');
    return bridge ? [{ name: '', bridge }] : [];
  }
  const interfaces = (data.interfaces ?? {}) as Record<string, Record<string, unknown>>;
  const usable = Object.keys(interfaces)
    .sort()
    .filter((name) => {
      const type = text(interfaces[name] ?? {}, 'interface_type');
      return !['bond', 'bridge', 'bonded_bridge_slave'].includes(type) && !/[.:]\d+$/.test(name);
    });
  const nics: NicSpec[] = [];
  usable.forEach((name, index) => {
    const nic = interfaces[name] ?? {};
    const bridge = bridgeAt(index, text(nic, 'virt_bridge'));
    if (!bridge) return;
    const mac = text(nic, 'mac_address').toLowerCase();
    nics.push({ name, bridge, ...(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) ? { mac } : {}) });
  });
  return nics;
}

export interface InstallDataOptions {
  kopts?: string;
  bridges?: string[];
}

export function readInstallData(
  data: RenderedData,
  kind: KoanTargetKind,
  name: string,
  options: InstallDataOptions = {},
): InstallData {
  for (const key of ['name', 'http_server']) {
    if (text(data, key) === '') {
      throw new BootwrightError(
        'E_INVALID',
        `The server sent ${kind} ${quote(name)} without ${key}; it is not a Cobbler-compatible answer.`,
      );
    }
  }
  const kernelOptions = { ...kernelOptionsOf(data), ...(options.kopts ? parseKvString(options.kopts) : {}) };
  const kernelUrl = bootFileUrl(data, 'kernel');
  const initrdUrl = bootFileUrl(data, 'initrd');
  return {
    kind,
    name,
    httpServer: text(data, 'http_server'),
    breed: text(data, 'breed') || 'redhat',
    osVersion: text(data, 'os_version'),
    distro: text(data, 'distro'),
    autoinstallUrl: autoinstallUrlOf(data, kind, name),
    ...(kernelUrl ? { kernelUrl } : {}),
    ...(initrdUrl ? { initrdUrl } : {}),
    kernelOptions,
    ramMiB: Math.max(MIN_RAM_MIB, Math.round(positiveNumber(data.virt_ram, 'virt_ram', DEFAULT_RAM_MIB))),
    vcpus: Math.round(positiveNumber(data.virt_cpus, 'virt_cpus', 1)),
    diskSizesGiB: parseDiskSizes(data.virt_file_size),
    diskDrivers: parseDiskDrivers(data.virt_disk_driver),
    virtPath: text(data, 'virt_path'),
    virtType: text(data, 'virt_type'),
    autoBoot: bool(data, 'virt_auto_boot'),
    pxeBoot: bool(data, 'virt_pxe_boot'),
    nics: nicsOf(data, kind, options.bridges ?? []),
  };
}

/** The installer's argument naming its autoinstall file, per breed (cobbler-koan.md §7.2 step 6). */
function autoinstallArgs(install: InstallData): KvDict {
  const url = install.autoinstallUrl;
  switch (install.breed) {
    case 'suse':
      return { autoyast: url };
    case 'debian':
    case 'ubuntu':
      return { 'auto-install/enable': 'true', priority: 'critical', url };
    case 'redhat':
      return usesLegacyKs(install.osVersion) ? { ks: url } : { 'inst.ks': url };
    default:
      return { ks: url };
  }
}

/** The static address of one interface on the kernel command line, in the installer's own syntax. */
export function staticInterfaceArgs(data: RenderedData, install: InstallData, iface: string): KvDict {
  const interfaces = (data.interfaces ?? {}) as Record<string, Record<string, unknown>>;
  const nic = interfaces[iface];
  if (!nic) {
    const known = Object.keys(interfaces).join(', ') || 'none';
    throw new BootwrightError(
      'E_USAGE',
      `System ${quote(install.name)} has no interface ${quote(iface)} for --static-interface; it has: ${known}.`,
    );
  }
  const ip = text(nic, 'ip_address');
  if (ip === '') {
    throw new BootwrightError(
      'E_USAGE',
      `Interface ${quote(iface)} of ${quote(install.name)} has no ip_address for --static-interface; set one with "system edit --interface=${iface} --ip-address=...".`,
    );
  }
  const netmask = text(nic, 'netmask') || '255.255.255.0';
  const gateway = text(nic, 'if_gateway') || text(data, 'gateway');
  const nameServers = text(data, 'name_servers')
    .split(/[\s,]+/)
    .filter(Boolean);
  const hostname = text(data, 'hostname') || text(nic, 'dns_name');
  switch (install.breed) {
    case 'suse':
      return {
        hostip: ip,
        netmask,
        gateway,
        netdevice: iface,
        ...(nameServers[0] ? { nameserver: nameServers[0] } : {}),
      };
    case 'debian':
    case 'ubuntu':
      return {
        'netcfg/disable_autoconfig': 'true',
        'netcfg/choose_interface': iface,
        'netcfg/get_ipaddress': ip,
        'netcfg/get_netmask': netmask,
        'netcfg/get_gateway': gateway,
        'netcfg/get_nameservers': nameServers.join(' '),
        'netcfg/confirm_static': 'true',
      };
    default:
      if (usesLegacyKs(install.osVersion)) {
        return { ip, netmask, gateway, ...(nameServers[0] ? { dns: nameServers.join(',') } : {}) };
      }
      return {
        ip: `${ip}::${gateway}:${netmask}:${hostname}:${iface}:none`,
        ...(nameServers.length > 0 ? { nameserver: nameServers } : {}),
      };
  }
}

/** The installer's whole command line: the autoinstall argument, the server's options, then --kopts. */
export function kernelArgs(install: InstallData, extra: KvDict = {}): string {
  const options: KvDict = { ...autoinstallArgs(install), ...extra, ...install.kernelOptions };
  // Koan's rewrites: `ksdevice=bootif` needs PXE's BOOTIF, which a direct kernel boot has not; `lang` needs a value.
  if (options.ksdevice === 'bootif') options.ksdevice = 'link';
  if ('lang' in options && options.lang === null) options.lang = '';
  return kvToString(options);
}

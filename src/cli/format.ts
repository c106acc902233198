// What the CLI prints: Cobbler's `report` layout (`%-30s : %s` with readable field names), `dumpvars` lines,
// and JSON. Values print as they are typed back in: dictionaries as "k=v" text, lists space-separated.

import { fieldsByKind, interfaceFields } from '../model/fields.js';
import type { InventoryObject, KvDict, NetworkInterface } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';

const wordLabels: Record<string, string> = {
  apt: 'APT',
  cnames: 'CNAMEs',
  cpus: 'CPUs',
  dhcp: 'DHCP',
  dns: 'DNS',
  id: 'ID',
  if: 'Interface',
  initrd: 'Initrd',
  ip: 'IP',
  ipv6: 'IPv6',
  ipxe: 'iPXE',
  mac: 'MAC',
  mgmt: 'Management',
  mtu: 'MTU',
  opts: 'Options',
  os: 'OS',
  pxe: 'PXE',
  ram: 'RAM',
  redhat: 'Red Hat',
  rpm: 'RPM',
  uid: 'UID',
};

/** `kernel_options` -> "Kernel Options", `mac_address` -> "MAC Address", as Cobbler's report labels read. */
export function fieldLabel(name: string): string {
  return name
    .split('_')
    .map((word) => wordLabels[word] ?? `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join(' ');
}

function isKvDict(value: object): value is KvDict {
  return Object.values(value).every(
    (item) =>
      item === null ||
      typeof item === 'string' ||
      (Array.isArray(item) && item.every((element) => typeof element === 'string')),
  );
}

/** One value as text: "k=v" for dictionaries, words for lists, Cobbler's True/False, JSON for anything deeper. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) {
    return value.every((item) => typeof item === 'string' || typeof item === 'number')
      ? value.join(' ')
      : JSON.stringify(value);
  }
  if (typeof value === 'object') return isKvDict(value) ? kvToString(value) : JSON.stringify(value);
  return String(value);
}

export function reportLine(label: string, value: unknown): string {
  return `${label.padEnd(30)} : ${formatValue(value)}`;
}

/** One object in Cobbler's `report` layout; a system's interfaces follow its fields, one block each. */
export function formatReport(object: InventoryObject): string {
  const lines = fieldsByKind[object.kind].map((field) =>
    reportLine(fieldLabel(field.name), field.name === 'name' ? object.name : object.fields[field.name]),
  );
  for (const [ifname, iface] of Object.entries(object.interfaces ?? {})) {
    lines.push(reportLine('Interface =====', ifname));
    for (const field of interfaceFields) {
      lines.push(reportLine(fieldLabel(field.name), iface[field.name as keyof NetworkInterface]));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Several objects, a blank line between them. */
export function formatReports(objects: readonly InventoryObject[]): string {
  return objects.map(formatReport).join('\n');
}

/** `key : value`, keys sorted, as `cobbler system dumpvars` prints the blended view. */
export function formatDumpvars(view: Record<string, unknown>): string {
  return Object.keys(view)
    .sort()
    .map((key) => `${key} : ${formatValue(view[key])}\n`)
    .join('');
}

/** Settings by their own names (they are edited by name), in the order given. */
export function formatSettings(settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${reportLine(name, value)}\n`)
    .join('');
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// Field changes as the CLI, REST and XML-RPC give them (flags in any spelling, values as text or JSON, interface
// fields with --interface, or the JSON `interfaces` object) applied to an object in memory. Nothing here reads the
// store: the checks that need it come after (checks.ts), and so does the choice of a random MAC (random-macs.ts).

import { invalid, notFound, quote } from '../errors.js';
import {
  type FieldDef,
  fieldsByKind,
  findField,
  interfaceFields,
  legacyInterfaceFieldNames,
} from '../model/fields.js';
import type { FieldValue, InventoryObject, KvDict, NetworkInterface } from '../model/kinds.js';
import { editKvDictInPlace } from '../model/kv.js';
import { parseFieldValue } from '../model/parse-field.js';
import { parseName } from '../model/values.js';
import { RANDOM_MAC } from './random-macs.js';
import type { Changes, EditOptions } from './types.js';

/** Defaults are shared by every object: lists and dictionaries are copied, strings and numbers need not be. */
export function copyOfDefault(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function newInterface(): NetworkInterface {
  return Object.fromEntries(
    interfaceFields.map((field) => [field.name, copyOfDefault(field.default)]),
  ) as unknown as NetworkInterface;
}

/** An interface field by any of its names: `mac-address`, `mac_address`, or Cobbler's older `mac`. */
export function findInterfaceField(key: string): FieldDef | undefined {
  const plain = key.replaceAll('-', '_');
  return findField(interfaceFields, legacyInterfaceFieldNames[plain] ?? plain);
}

/**
 * Applies the changes to the object, refusing an unknown field or a malformed value. A MAC given as "random" is
 * left as the marker RANDOM_MAC, for assignRandomMacs to resolve once the system's virt type is known.
 */
export function applyFieldChanges(object: InventoryObject, changes: Changes, options: EditOptions): void {
  const fields = fieldsByKind[object.kind];
  const interfaceChanges: Changes = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (key === 'interfaces' && object.kind === 'system') {
      applyInterfacesObject(object, value);
      continue;
    }
    const field = findField(fields, key);
    if (field && field.name !== 'name') {
      object.fields[field.name] = parseChange(field, object.fields[field.name], value, options);
      continue;
    }
    if (object.kind === 'system' && findInterfaceField(key)) {
      interfaceChanges[key] = value;
      continue;
    }
    throw invalid(
      `Unknown field ${quote(key)} for a ${object.kind}; "bootwright ${object.kind} add --help" lists the fields.`,
    );
  }
  if (object.kind === 'profile') switchExclusive(object, changes, 'parent', 'distro');
  if (object.kind === 'system') {
    switchExclusive(object, changes, 'image', 'profile');
    applyInterfaceEdit(object, interfaceChanges, options);
  }
}

/**
 * Two fields of which an object holds one: giving one (and not the other) clears the other, as Cobbler's setters
 * do. A profile given a parent becomes a sub-profile (its distro then comes from the parent), and back; a system
 * given an image leaves its profile, and back. Both given at once is for checks.ts to refuse.
 */
function switchExclusive(object: InventoryObject, changes: Changes, first: string, second: string): void {
  const fields = fieldsByKind[object.kind];
  const given = (name: string) => Object.keys(changes).some((key) => findField(fields, key)?.name === name);
  if (given(first) && !given(second) && object.fields[first]) object.fields[second] = '';
  if (given(second) && !given(first) && object.fields[second]) object.fields[first] = '';
}

function parseChange(
  field: FieldDef,
  existing: FieldValue | undefined,
  value: unknown,
  options: EditOptions,
): FieldValue {
  const parsed = parseFieldValue(field, value);
  if (
    options.inPlace &&
    field.type === 'dict' &&
    existing &&
    typeof existing === 'object' &&
    existing !== null
  ) {
    return editKvDictInPlace(existing as KvDict, parsed as KvDict);
  }
  return parsed;
}

/** The REST/JSON form: `interfaces: { eth0: { mac_address: ... }, eth1: null }`, merged per interface. */
function applyInterfacesObject(object: InventoryObject, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(
      `interfaces must be an object of interface name to fields, received ${quote(JSON.stringify(value))}.`,
    );
  }
  const interfaces = object.interfaces ?? {};
  for (const [ifname, ifaceChanges] of Object.entries(value as Record<string, unknown>)) {
    parseName(ifname, 'Interface name');
    if (ifaceChanges === null) {
      delete interfaces[ifname];
      continue;
    }
    if (typeof ifaceChanges !== 'object' || Array.isArray(ifaceChanges)) {
      throw invalid(
        `Interface ${quote(ifname)} must be an object of fields, received ${quote(JSON.stringify(ifaceChanges))}.`,
      );
    }
    const iface = interfaces[ifname] ?? newInterface();
    setInterfaceFields(iface, ifaceChanges as Changes, ifname);
    interfaces[ifname] = iface;
  }
  object.interfaces = interfaces;
}

/** Picks the interface a CLI edit means, as Cobbler 3 does: --interface, else "default", else the only one. */
function chooseInterface(object: InventoryObject, requested: string | undefined): string {
  if (requested) return parseName(requested, 'Interface name');
  const names = Object.keys(object.interfaces ?? {});
  if (names.includes('default') || names.length === 0) return 'default';
  if (names.length === 1) return names[0] as string;
  throw invalid(
    `System ${quote(object.name)} has interfaces ${names.join(', ')}; say which one with --interface=NAME.`,
  );
}

function applyInterfaceEdit(object: InventoryObject, changes: Changes, options: EditOptions): void {
  const interfaces = object.interfaces ?? {};
  object.interfaces = interfaces;
  const touches = Object.keys(changes).length > 0 || options.deleteInterface || options.renameInterface;
  if (!touches) return;
  const ifname = chooseInterface(object, options.interface);
  if (options.deleteInterface) {
    if (!interfaces[ifname])
      throw notFound(`System ${quote(object.name)} has no interface ${quote(ifname)}.`);
    delete interfaces[ifname];
    return;
  }
  const iface = interfaces[ifname] ?? newInterface();
  setInterfaceFields(iface, changes, ifname);
  if (options.renameInterface) {
    const newName = parseName(options.renameInterface, 'New interface name');
    if (!interfaces[ifname])
      throw notFound(`System ${quote(object.name)} has no interface ${quote(ifname)}.`);
    if (newName !== ifname && interfaces[newName])
      throw invalid(`System ${quote(object.name)} already has an interface ${quote(newName)}.`);
    delete interfaces[ifname];
    interfaces[newName] = iface;
    return;
  }
  interfaces[ifname] = iface;
}

function setInterfaceFields(iface: NetworkInterface, changes: Changes, ifname: string): void {
  const record = iface as unknown as Record<string, FieldValue>;
  for (const [key, value] of Object.entries(changes)) {
    const field = findInterfaceField(key);
    if (!field) throw invalid(`Unknown interface field ${quote(key)} for interface ${quote(ifname)}.`);
    // "random" is resolved once the system's virt type is known (assignRandomMacs).
    const isRandomMac = field.name === 'mac_address' && String(value).toLowerCase() === RANDOM_MAC;
    record[field.name] = isRandomMac
      ? RANDOM_MAC
      : parseFieldValue(field, value, `--${field.name.replaceAll('_', '-')}`);
  }
}

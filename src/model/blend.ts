// The one resolver. It stacks settings, distro, profiles (root first) and system, the way Cobbler's blender
// does, and yields the blended view that templates, koan, the puppet classifier and the APIs all read.
//   - `<<inherit>>` is skipped, so the nearest ancestor that says something wins, and the settings last;
//   - dictionaries merge key by key with the child winning, and `!key` removes what the parents gave;
//   - lists concatenate without repeats (profile DNS 192.0.2.1 + system 192.0.2.2 gives both). A setting that
//     stands in for an inherited list (owners: default_ownership; boot_loaders) counts only once an object says
//     `<<inherit>>` for it, and the objects below then add to it; an object that gives its own list first
//     replaces it. So a distro left to inherit and a profile owned by alice give [admin, alice], as Cobbler's
//     blender, which resolves the first `<<inherit>>` it meets and extends lists from there;
//   - anything else: the child wins.

import { defaultAutoinstallFor } from './default-autoinstall.js';
import { type FieldDef, fieldsByKind, interfaceFields } from './fields.js';
import { INHERIT, type InventoryObject, type KvDict, type NetworkInterface } from './kinds.js';
import { mergeKvDicts } from './kv.js';
import { type Settings, settingFields } from './settings.js';

/**
 * The chain an object inherits through, nearest first: a system, its profile and parent profiles, the distro; or a
 * system on an image, the image and its parent images (Cobbler's LOGICAL_INHERITANCE: a system's parent is its
 * image or its profile).
 */
export interface Lineage {
  system?: InventoryObject;
  profiles: InventoryObject[];
  distro?: InventoryObject;
  images?: InventoryObject[];
  repos: InventoryObject[];
  /** An object blended on its own (repo, menu, role, ...): it has no parents, only the settings below it. */
  repo?: InventoryObject;
}

export type BlendedView = Record<string, unknown>;

type Layer = {
  values: Record<string, unknown>;
  fields: readonly FieldDef[];
  /** Keys whose value only stands in for `<<inherit>>` and is dropped once an object gives its own. */
  fallbacks?: ReadonlySet<string>;
};

/** Object fields that fall back to a setting of another name (virt_ram → default_virt_ram); fixed, so built once. */
const settingAliases: FieldDef[] = (() => {
  const settingNames = new Set(settingFields.map((field) => field.name));
  const aliases = new Map<string, FieldDef>();
  for (const field of Object.values(fieldsByKind).flat()) {
    if (
      field.setting &&
      field.setting !== field.name &&
      settingNames.has(field.setting) &&
      !settingNames.has(field.name)
    ) {
      if (!aliases.has(field.name)) aliases.set(field.name, field);
    }
  }
  return [...aliases.values()];
})();
const settingsLayerFields: FieldDef[] = [...settingFields, ...settingAliases];
const settingFallbacks: ReadonlySet<string> = new Set(
  Object.values(fieldsByKind)
    .flat()
    .filter(
      (field) =>
        field.default === INHERIT && settingsLayerFields.some((candidate) => candidate.name === field.name),
    )
    .map((field) => field.name),
);

/** Settings as a layer: a field that falls back to `default_virt_ram` finds it under `virt_ram`. */
function settingsLayer(settings: Settings): Layer {
  const values: Record<string, unknown> = { ...settings };
  for (const field of settingAliases) values[field.name] = settings[field.setting as string];
  return { values, fields: settingsLayerFields, fallbacks: settingFallbacks };
}

function objectLayer(object: InventoryObject): Layer {
  return {
    values: { ...object.fields, name: object.name, uid: object.uid },
    fields: fieldsByKind[object.kind],
  };
}

function mergeValue(field: FieldDef | undefined, below: unknown, value: unknown): unknown {
  if (value === INHERIT) return below;
  switch (field?.type) {
    case 'dict':
      return mergeKvDicts((below ?? {}) as KvDict, (value ?? {}) as KvDict);
    case 'params':
      return { ...((below ?? {}) as object), ...((value ?? {}) as object) };
    case 'list':
      return [...new Set([...((below ?? []) as string[]), ...((value ?? []) as string[])])];
    case 'ref':
      // A sub-profile names no distro; its parent's distro must survive the stacking.
      return value === '' || value === undefined ? below : value;
    default:
      return value;
  }
}

// Field lookups by name, built once per field table: blending runs on every boot and autoinstall request.
const fieldIndexes = new WeakMap<readonly FieldDef[], Map<string, FieldDef>>();

function fieldIndex(fields: readonly FieldDef[]): Map<string, FieldDef> {
  let index = fieldIndexes.get(fields);
  if (!index) {
    index = new Map();
    for (const field of fields) if (!index.has(field.name)) index.set(field.name, field);
    fieldIndexes.set(fields, index);
  }
  return index;
}

/** Layers stacked so far: the values, and the setting stand-ins that an object's own value still replaces. */
interface Stacked {
  blended: Record<string, unknown>;
  fallbacks: Set<string>;
  /** The keys holding arrays or objects, which a stack reused as a start copies (the rest it shares). */
  containerKeys?: string[];
}

/** Arrays and plain objects copied all the way down, so that a view never shares them with a remembered stack. */
export function copyContainers<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyContainers) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const key in value) copy[key] = copyContainers((value as Record<string, unknown>)[key]);
    return copy as T;
  }
  return value;
}

function stack(layers: Layer[], start?: Stacked): Stacked {
  const blended: Record<string, unknown> = start ? { ...start.blended } : {};
  for (const key of start?.containerKeys ?? []) blended[key] = copyContainers(blended[key]);
  const fallbacks = new Set<string>(start?.fallbacks);
  for (const layer of layers) {
    const index = fieldIndex(layer.fields);
    for (const [key, value] of Object.entries(layer.values)) {
      const field = index.get(key);
      // An object inheriting a stand-in makes it its own value (deleted either way); one giving a value replaces it.
      const below = fallbacks.delete(key) && value !== INHERIT ? undefined : blended[key];
      blended[key] = mergeValue(field, below, value);
    }
    for (const key of layer.fallbacks ?? []) fallbacks.add(key);
  }
  return { blended, fallbacks };
}

// The settings, distro and profiles stacked, remembered per settings object and keyed by the distro's and the
// profiles' content: every system of a profile starts from the same stack, which is most of blending's work.
const parentStacks = new WeakMap<Settings, Map<string, Stacked>>();
const parentStacksPerSettings = 1000;

function parentStack(lineage: Lineage, settings: Settings, parentLayers: () => Layer[]): Stacked {
  let stacks = parentStacks.get(settings);
  if (!stacks) {
    stacks = new Map();
    parentStacks.set(settings, stacks);
  }
  // The objects as read from the store now: an edited distro or profile makes another key, never a stale hit.
  const key = JSON.stringify([lineage.distro ?? null, lineage.profiles, lineage.images ?? []]);
  let stacked = stacks.get(key);
  if (!stacked) {
    stacked = stack(parentLayers());
    // Built key by key, the stack is a dictionary-mode object, which V8 copies 50 times slower than an object
    // with a shape: one copy here gives it one, and each system's copy of it is then cheap.
    stacked.blended = { ...stacked.blended };
    stacked.containerKeys = Object.keys(stacked.blended).filter(
      (name) => typeof stacked?.blended[name] === 'object' && stacked.blended[name] !== null,
    );
    if (stacks.size >= parentStacksPerSettings) stacks.clear();
    stacks.set(key, stacked);
  }
  return stacked;
}

export interface BlendOptions {
  /**
   * Start a system from the remembered stack of its settings, distro and profiles. Only for a caller that keeps
   * one settings object per stored settings and never changes it (inventory/resolution.ts): the settings object
   * itself is the key for what is below the distro.
   */
  reuseParentStack?: boolean;
}

/** Interfaces with inherited bridges resolved, so `<<inherit>>` never reaches koan (Cobbler 3.3 leaks it). */
function resolveInterfaces(
  interfaces: Record<string, NetworkInterface>,
  bridge: unknown,
): Record<string, NetworkInterface> {
  const resolved: Record<string, NetworkInterface> = {};
  for (const [name, iface] of Object.entries(interfaces)) {
    const virtBridge =
      iface.virt_bridge === INHERIT || iface.virt_bridge === '' ? String(bridge ?? '') : iface.virt_bridge;
    resolved[name] = { ...iface, virt_bridge: virtBridge };
  }
  return resolved;
}

/**
 * An object's own fields with each `<<inherit>>` replaced by the setting it falls back to: what a repo is worth
 * inside a profile's `repo_data`, where it has no parents, only the settings (its owners: default_ownership).
 */
function ownFieldsResolved(object: InventoryObject, settings: Settings): Record<string, unknown> {
  const resolved: Record<string, unknown> = { ...object.fields };
  for (const field of fieldsByKind[object.kind]) {
    if (resolved[field.name] === INHERIT)
      resolved[field.name] = copyContainers(settings[field.setting ?? field.name]);
  }
  return resolved;
}

const builtInAutoinstall = settingFields.find((field) => field.name === 'autoinstall')?.default;

/**
 * Whether no object in the chain names a template and the autoinstall setting is the built-in one: then the
 * distro's breed and version choose it, by the rule import follows (legacy.ks for RHEL 5, a preseed for Debian).
 */
function autoinstallLeftToDefault(lineage: Lineage, settings: Settings): boolean {
  if (settings.autoinstall !== builtInAutoinstall) return false;
  return [lineage.system, ...lineage.profiles].every((object) => {
    const named = object?.fields.autoinstall;
    return named === undefined || named === INHERIT || named === '';
  });
}

export function httpServer(server: unknown, port: unknown): string {
  const host = String(server ?? '127.0.0.1');
  // A server given with its own port (192.0.2.1:8080, as behind a forward) already says where to go.
  if (/:\d+$/.test(host)) return host;
  return Number(port) === 80 || port === undefined ? host : `${host}:${port}`;
}

export function blend(lineage: Lineage, settings: Settings, options: BlendOptions = {}): BlendedView {
  const parentLayers = () => {
    const layers: Layer[] = [settingsLayer(settings)];
    if (lineage.distro) layers.push(objectLayer(lineage.distro));
    for (const profile of [...lineage.profiles].reverse()) layers.push(objectLayer(profile));
    for (const image of [...(lineage.images ?? [])].reverse()) layers.push(objectLayer(image));
    return layers;
  };
  const ownLayers: Layer[] = [];
  if (lineage.system) ownLayers.push(objectLayer(lineage.system));
  if (lineage.repo) ownLayers.push(objectLayer(lineage.repo));
  const view =
    options.reuseParentStack && lineage.system && !lineage.repo
      ? stack(ownLayers, parentStack(lineage, settings, parentLayers)).blended
      : stack([...parentLayers(), ...ownLayers]).blended;

  const profile = lineage.profiles[0];
  const image = lineage.images?.[0];
  // Cobbler's blender names no distro for what boots an image, and says so with "N/A".
  view.distro_name = image ? 'N/A' : (lineage.distro?.name ?? '');
  if (image) view.image_name = image.name;
  if (image && lineage.system) view.image = image.name;
  view.profile_name = profile?.name ?? '';
  view.system_name = lineage.system?.name ?? '';
  if (lineage.distro) view.distro = lineage.distro.name;
  if (profile && lineage.system) view.profile = profile.name;
  view.http_server = httpServer(view.server, view.http_port);

  if (lineage.system) {
    const interfaces = resolveInterfaces(lineage.system.interfaces ?? {}, view.virt_bridge);
    view.interfaces = interfaces;
    for (const [ifname, iface] of Object.entries(interfaces)) {
      for (const field of interfaceFields)
        view[`${field.name}_${ifname}`] = iface[field.name as keyof NetworkInterface];
    }
  }

  // Configuration management sees the install variables too (Cobbler: mgmt_parameters ∪ autoinstall_meta).
  view.mgmt_parameters = {
    ...((view.mgmt_parameters ?? {}) as object),
    ...((view.autoinstall_meta ?? {}) as object),
  };
  view.repo_data = [...lineage.repos]
    .sort((a, b) => Number(a.fields.priority ?? 99) - Number(b.fields.priority ?? 99))
    .map((repo) => ({ ...ownFieldsResolved(repo, settings), name: repo.name }));
  if (lineage.distro && autoinstallLeftToDefault(lineage, settings)) {
    view.autoinstall = defaultAutoinstallFor({
      breed: String(view.breed ?? ''),
      osVersion: String(view.os_version ?? ''),
    });
  }
  // Names that Cobbler 2.x templates and koan still use.
  view.kickstart = view.autoinstall;
  view.ks_meta = view.autoinstall_meta;
  return view;
}

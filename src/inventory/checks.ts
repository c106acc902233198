// Cobbler's rules that an object must pass before it is written, read inside the change's transaction: required
// fields, references that exist, a profile's one parent and no loop, unique MACs/IPs/hostnames/DNS names, and local
// paths that will be served to anyone only from the served roots.

import { type Stats, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { refusalSentence, type ServedPaths } from '../config/served-paths.js';
import { BootwrightError, invalid, notFound, quote } from '../errors.js';
import { fieldsByKind } from '../model/fields.js';
import type { InventoryObject } from '../model/kinds.js';
import type { Settings } from '../model/settings.js';
import type { ObjectRef, StoreReader, UniqueKeyType } from '../store/store.js';
import { kindLabel } from './labels.js';

/** A system installs from a profile or from an image: exactly one (Cobbler: "profile or image is required"). */
function checkSystemParent(system: InventoryObject): void {
  const { profile, image } = system.fields;
  if (profile && image) {
    throw invalid(
      `System ${quote(system.name)} has both --profile and --image; give one, as a system installs from either.`,
    );
  }
  if (!profile && !image) {
    throw invalid(
      `System ${quote(system.name)} needs --profile=NAME or --image=NAME; "bootwright profile list" and "bootwright image list" show them.`,
    );
  }
}

/**
 * A kernel or initrd given as a path on this server must be a file that is there, as Cobbler 3.3 refuses both a
 * missing one and (unless it can pick a vmlinuz in it) a directory at add: either would show only when a machine
 * fails to boot. Stores written before this rule keep their missing paths; `check` names each of them.
 */
function checkBootFileOnDisk(path: string, what: string, field: 'kernel' | 'initrd'): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return;
    throw invalid(
      `${what} ${quote(path)} does not exist on this server; copy the ${field} file there first, or give its http:// or https:// URL.`,
    );
  }
  if (!stats.isFile()) {
    throw invalid(
      `${what} ${quote(path)} is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}; give the ${field} file itself, such as ${join(path, field === 'kernel' ? 'vmlinuz' : 'initrd.img')}.`,
    );
  }
}

/** An image's parent images and a menu's parent menus must end somewhere. */
async function checkNoLoop(reader: StoreReader, object: InventoryObject): Promise<void> {
  const label = kindLabel(object.kind);
  let ancestor = String(object.fields.parent ?? '');
  const seen = new Set([object.name]);
  while (ancestor) {
    if (seen.has(ancestor)) {
      throw invalid(
        `${label} ${quote(object.name)} cannot have parent ${quote(String(object.fields.parent))}: that would make a loop.`,
      );
    }
    seen.add(ancestor);
    ancestor = String((await reader.get(object.kind, ancestor))?.fields.parent ?? '');
  }
}

export class ObjectChecks {
  constructor(
    /** Which local paths may be served (kernels, trees, tftp_root). */
    private readonly servedPaths: ServedPaths,
    /** The settings as the reader sees them: the allow_duplicate_* switches and served_roots live there. */
    private readonly settingsOf: (reader: StoreReader) => Promise<Settings>,
  ) {}

  /**
   * Everything that must hold before an object is written: references, required fields, uniqueness, and served
   * paths; an edit passes `before`, so that a path stored earlier and left as it was does not stop the edit.
   */
  async check(reader: StoreReader, object: InventoryObject, before?: InventoryObject): Promise<void> {
    const fields = fieldsByKind[object.kind];
    for (const field of fields) {
      if (
        field.required &&
        field.refKind === undefined &&
        field.name !== 'name' &&
        !object.fields[field.name]
      ) {
        throw invalid(
          `${kindLabel(object.kind)} ${quote(object.name)} needs --${field.name.replaceAll('_', '-')}.`,
        );
      }
    }
    if (object.kind === 'profile') await this.checkProfileParents(reader, object);
    if (object.kind === 'system') checkSystemParent(object);
    if (object.kind === 'image' || object.kind === 'menu') await checkNoLoop(reader, object);
    if (object.kind === 'file' && !object.fields.is_dir && !object.fields.template) {
      throw invalid(`File ${quote(object.name)} needs --template, unless it is a directory (--is-dir=true).`);
    }
    for (const field of fields) {
      if (!field.refKind) continue;
      const value = object.fields[field.name];
      const names = Array.isArray(value) ? value : value ? [String(value)] : [];
      for (const refName of names) {
        if (!(await reader.get(field.refKind, refName))) {
          throw notFound(
            `${kindLabel(object.kind)} ${quote(object.name)}: ${field.refKind} ${quote(refName)} does not exist; "bootwright ${field.refKind} list" shows them.`,
          );
        }
      }
    }
    if (object.kind === 'system') await this.checkUnique(reader, object);
    if (object.kind === 'distro') await this.checkServedPaths(reader, object, before);
  }

  /** tftp_root is served to anyone over TFTP: only from the served roots. */
  async checkSetting(reader: StoreReader, name: string, value: unknown): Promise<void> {
    if (name !== 'tftp_root' || value === '') return;
    const refusal = this.servedPaths.refusal(
      String(value),
      'Setting tftp_root',
      await this.settingsOf(reader),
    );
    if (refusal) throw invalid(refusalSentence(refusal));
  }

  /** A distro's kernel, initrd and tree on this server are served to anyone who asks: only from the served roots. */
  private async checkServedPaths(
    reader: StoreReader,
    distro: InventoryObject,
    before?: InventoryObject,
  ): Promise<void> {
    for (const field of ['kernel', 'initrd', 'tree_source'] as const) {
      const value = String(distro.fields[field] ?? '');
      if (before && value === String(before.fields[field] ?? '')) continue;
      const local = field === 'tree_source' ? value !== '' && !/^https?:\/\//.test(value) : isAbsolute(value);
      if (!local) continue;
      const what = `Distro ${quote(distro.name)}: ${field}`;
      if (!isAbsolute(value))
        throw invalid(
          `${what} ${quote(value)} is not an absolute path or an http(s) URL; give one of those.`,
        );
      const refusal = this.servedPaths.refusal(value, what, await this.settingsOf(reader));
      if (refusal) throw invalid(refusalSentence(refusal));
      if (field !== 'tree_source') checkBootFileOnDisk(value, what, field);
    }
  }

  private async checkProfileParents(reader: StoreReader, profile: InventoryObject): Promise<void> {
    const { distro, parent } = profile.fields;
    if (distro && parent) {
      throw invalid(
        `Profile ${quote(profile.name)} has both --distro and --parent; a sub-profile takes its distro from its parent.`,
      );
    }
    if (!distro && !parent)
      throw invalid(`Profile ${quote(profile.name)} needs --distro=NAME or --parent=PROFILE.`);
    let ancestor = parent ? String(parent) : '';
    const seen = new Set([profile.name]);
    while (ancestor) {
      if (seen.has(ancestor)) {
        throw invalid(
          `Profile ${quote(profile.name)} cannot have parent ${quote(String(parent))}: that would make a loop.`,
        );
      }
      seen.add(ancestor);
      ancestor = String((await reader.get('profile', ancestor))?.fields.parent ?? '');
    }
  }

  private async checkUnique(reader: StoreReader, system: InventoryObject): Promise<void> {
    const settings = await this.settingsOf(reader);
    const rules: { type: UniqueKeyType; allowed: unknown; label: string; code: BootwrightError['code'] }[] = [
      { type: 'mac', allowed: settings.allow_duplicate_macs, label: 'MAC address', code: 'E_DUPLICATE_MAC' },
      { type: 'ip', allowed: settings.allow_duplicate_ips, label: 'IP address', code: 'E_DUPLICATE_IP' },
      {
        type: 'hostname',
        allowed: settings.allow_duplicate_hostnames,
        label: 'hostname',
        code: 'E_DUPLICATE_HOSTNAME',
      },
      {
        type: 'dns_name',
        allowed: settings.allow_duplicate_hostnames,
        label: 'DNS name',
        code: 'E_DUPLICATE_HOSTNAME',
      },
    ];
    const values = new Map<UniqueKeyType, string[]>();
    if (system.fields.hostname) values.set('hostname', [String(system.fields.hostname)]);
    for (const iface of Object.values(system.interfaces ?? {})) {
      for (const [type, value] of [
        ['mac', iface.mac_address],
        ['ip', iface.ip_address],
        ['dns_name', iface.dns_name],
      ] as const) {
        if (value) values.set(type, [...(values.get(type) ?? []), value]);
      }
    }
    for (const rule of rules) {
      if (rule.allowed === true) continue;
      const own = values.get(rule.type) ?? [];
      const lowered = own.map((value) => value.toLowerCase());
      const repeated = own.find((_value, index) => lowered.indexOf(lowered[index] as string) !== index);
      if (repeated) {
        throw new BootwrightError(
          rule.code,
          `System ${quote(system.name)} uses ${rule.label} ${quote(repeated)} on two interfaces.`,
        );
      }
      for (const value of own) {
        const holders = (await reader.findByKey(rule.type, value)).filter(
          (ref) => !(ref.kind === 'system' && ref.name === system.name),
        );
        if (holders.length > 0) {
          throw new BootwrightError(
            rule.code,
            `${rule.label.charAt(0).toUpperCase()}${rule.label.slice(1)} ${quote(value)} is already used by system ${quote((holders[0] as ObjectRef).name)}; pick another or set allow_duplicate_${rule.type === 'mac' ? 'macs' : rule.type === 'ip' ? 'ips' : 'hostnames'}.`,
          );
        }
      }
    }
  }
}

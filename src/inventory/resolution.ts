// The one resolver: what an object is worth once it inherits. It reads an object's lineage (system, profiles,
// distro, repos) and the settings below them from the store as they are now, and hands them to model/blend.ts, the
// one merge. The REST and XML-RPC views (`blended`, koan's `rendered`), the template renderer's variables and the
// virt type of a random MAC all come from here.

import { invalid, notFound, quote } from '../errors.js';
import { type BlendedView, blend, type Lineage } from '../model/blend.js';
import type { InventoryObject, ObjectKind } from '../model/kinds.js';
import { renderForKoan } from '../model/rendered.js';
import { applySettingOverrides, type Settings } from '../model/settings.js';
import type { StoreReader } from '../store/store.js';
import { kindLabel } from './labels.js';
import { RememberedViews } from './remembered-views.js';

/** The object, or a refusal that names it and the command listing what there is. */
export async function existingObject(
  reader: StoreReader,
  kind: ObjectKind,
  name: string,
): Promise<InventoryObject> {
  const object = await reader.get(kind, name);
  if (!object)
    throw notFound(`${kindLabel(kind)} ${quote(name)} does not exist; "bootwright ${kind} list" shows them.`);
  return object;
}

/**
 * How many blended views are kept while the inventory version stands: more than the 10,000 systems a site may
 * install from at once (each is about 4 KB), so that a storm of installs cycling through all of them still finds
 * each one blended.
 */
const rememberedViewsCap = 16_384;

export class Resolver {
  /**
   * `runtimeDefaults` lie between the embedded defaults and the stored settings: what this process was started
   * with (serve's --port as the http_port of install URLs) and a stored setting still overrides.
   */
  constructor(
    private readonly store: StoreReader,
    private readonly runtimeDefaults: Readonly<Record<string, unknown>> = {},
  ) {}

  private async overrides(reader: StoreReader): Promise<Record<string, unknown>> {
    return { ...this.runtimeDefaults, ...(await reader.settingOverrides()) };
  }

  /** The settings as last applied, while the inventory version stands (each autoinstall request asks for them). */
  private readonly rememberedSettings = new RememberedViews(1);

  /** The settings as stored, as an object of the caller's own (it may change it). */
  async settings(reader: StoreReader = this.store): Promise<Settings> {
    if (reader !== this.store) return applySettingOverrides(await this.overrides(reader));
    const version = await this.store.inventoryVersion();
    const settings = await this.rememberedSettings.get(version, 'settings', async () =>
      applySettingOverrides(await this.overrides(reader)),
    );
    return settings as Settings;
  }

  /**
   * One of the settings as stored. Each autoinstall request asks whether autoinstall_secrets is on: a copy of all
   * two hundred settings for that one answer cost more than rendering a snippet.
   */
  async setting(name: string): Promise<unknown> {
    const version = await this.store.inventoryVersion();
    return this.rememberedSettings.entry(version, 'settings', name, async () =>
      applySettingOverrides(await this.overrides(this.store)),
    );
  }

  /** The settings as last read, kept while the stored ones are unchanged (compared by their JSON). */
  private settingsRead: { json: string; settings: Settings } | undefined;

  /**
   * The settings as stored now, as the same object while they are unchanged: blending keeps the stack of settings,
   * distro and profiles per settings object, so the systems of a profile share it until something in it changes.
   * Never handed out: no one may change it.
   */
  private async sharedSettings(reader: StoreReader): Promise<Settings> {
    const overrides = await this.overrides(reader);
    const json = JSON.stringify(overrides);
    if (this.settingsRead?.json !== json) {
      this.settingsRead = { json, settings: applySettingOverrides(overrides) };
    }
    return this.settingsRead.settings;
  }

  async lineage(object: InventoryObject, reader: StoreReader = this.store): Promise<Lineage> {
    const lineage: Lineage = { profiles: [], repos: [] };
    let profileName: string | undefined;
    if (object.kind === 'system') {
      lineage.system = object;
      profileName = String(object.fields.profile ?? '');
      const imageName = String(object.fields.image ?? '');
      if (imageName && !profileName) lineage.images = await this.imageChain(imageName, reader);
    } else if (object.kind === 'image') {
      lineage.images = await this.imageChain(object.name, reader, object);
    } else if (object.kind === 'profile') {
      lineage.profiles.push(object);
      profileName = String(object.fields.parent ?? '') || undefined;
      if (!profileName && object.fields.distro)
        lineage.distro = await reader.get('distro', String(object.fields.distro));
    } else if (object.kind === 'distro') {
      lineage.distro = object;
    } else {
      lineage.repo = object;
    }
    const seen = new Set(lineage.profiles.map((profile) => profile.name));
    while (profileName) {
      if (seen.has(profileName))
        throw invalid(`Profile ${quote(profileName)} is its own ancestor; fix its --parent.`);
      seen.add(profileName);
      const profile = await reader.get('profile', profileName);
      if (!profile) break;
      lineage.profiles.push(profile);
      profileName = String(profile.fields.parent ?? '') || undefined;
      if (!profileName && profile.fields.distro)
        lineage.distro = await reader.get('distro', String(profile.fields.distro));
    }
    const repoNames = new Set(
      lineage.profiles.flatMap((profile) => (profile.fields.repos ?? []) as string[]),
    );
    for (const repoName of repoNames) {
      const repo = await reader.get('repo', repoName);
      if (repo) lineage.repos.push(repo);
    }
    return lineage;
  }

  /** An image and its parent images, nearest first; `first` is the image as given when it is not stored yet. */
  private async imageChain(
    name: string,
    reader: StoreReader,
    first?: InventoryObject,
  ): Promise<InventoryObject[]> {
    const chain: InventoryObject[] = [];
    let next: InventoryObject | undefined = first ?? (await reader.get('image', name));
    while (next) {
      if (chain.some((image) => image.name === next?.name))
        throw invalid(`Image ${quote(next.name)} is its own ancestor; fix its --parent.`);
      chain.push(next);
      const parent = String(next.fields.parent ?? '');
      next = parent ? await reader.get('image', parent) : undefined;
    }
    return chain;
  }

  /**
   * The blended view of an object as given (stored or about to be), a fresh one the caller may change at its top
   * level. A system starts from the remembered stack of its settings, distro and profiles, which is most of the
   * work of blending one on every boot and autoinstall request.
   */
  async blendObject(object: InventoryObject, reader: StoreReader = this.store): Promise<BlendedView> {
    const lineage = await this.lineage(object, reader);
    return blend(lineage, await this.sharedSettings(reader), { reuseParentStack: true });
  }

  /** Blended views of stored objects by kind and name. */
  private readonly rememberedViews = new RememberedViews(rememberedViewsCap);

  /**
   * The blended view of a stored object: what templates see and `dumpvars` prints, a fresh one the caller may
   * change all the way down. Read from the store, views are kept while the inventory version stands: every boot
   * and autoinstall request asks, and reading, parsing and blending four rows cost far more than copying the view.
   * Inside a transaction (another reader) the rows are read as that transaction sees them, and nothing is kept.
   */
  async blended(kind: ObjectKind, name: string, reader: StoreReader = this.store): Promise<BlendedView> {
    if (reader !== this.store) return this.blendObject(await existingObject(reader, kind, name), reader);
    const version = await this.store.inventoryVersion();
    return this.rememberedViews.get(version, `${kind}:${name}`, async () =>
      this.blendObject(await existingObject(reader, kind, name), reader),
    );
  }

  /** The flattened view koan reads from `get_*_as_rendered`. */
  async rendered(
    kind: ObjectKind,
    name: string,
    reader: StoreReader = this.store,
  ): Promise<Record<string, unknown>> {
    return renderForKoan(await this.blended(kind, name, reader));
  }
}

// `bootwright import`: one command from an ISO image or a tree to a distro and a profile ready to install. The
// image stays where it is (no copy, no mount): kernels, initrds and the tree are served straight out of it.

import { resolve } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import type { InventoryBackend } from '../inventory/backend.js';
import type { Changes } from '../inventory/inventory.js';
import { type Detection, detectDistro } from './detect.js';
import { loadSignatures, userSignaturesFile } from './signatures.js';
import { openTreeSource } from './tree-source.js';

export interface ImportOptions {
  path: string;
  name?: string;
  arch?: string;
  breed?: string;
  osVersion?: string;
  /** Where installers reach the tree when it is not served by bootwright (an NFS export, a mirror). */
  availableAs?: string;
  /** Autoinstall template for the profile instead of the breed's default. */
  autoinstall?: string;
  dataDir: string;
}

export interface ImportResult {
  detection: Detection;
  /** What was created or updated, e.g. `distro rhel-5.5-i386 (created)`. */
  changes: string[];
}

/** The built-in template a profile of this distro starts with. */
export function defaultTemplateFor(detection: Detection): string {
  switch (detection.breed) {
    case 'redhat':
      return /^(rhel|centos)[456]$|^fedora(1[0-6]|[1-9])$/.test(detection.osVersion)
        ? 'legacy.ks'
        : 'default.ks';
    case 'ubuntu':
      return detection.installer === 'subiquity' ? 'ubuntu-autoinstall.yaml' : 'default.seed';
    case 'debian':
      return 'default.seed';
    case 'suse':
      return 'autoyast.xml';
    default:
      return 'default.ks';
  }
}

async function upsert(
  backend: InventoryBackend,
  kind: 'distro' | 'profile',
  name: string,
  fields: Changes,
  onlyIfNew: Changes,
  changes: string[],
): Promise<void> {
  const exists = await backend.get(kind, name).then(
    () => true,
    (error: unknown) => {
      if (error instanceof BootwrightError && error.code === 'E_NOT_FOUND') return false;
      throw error;
    },
  );
  if (exists) {
    await backend.edit(kind, name, fields);
    changes.push(`${kind} ${name} (updated)`);
  } else {
    await backend.add(kind, { name, ...fields, ...onlyIfNew });
    changes.push(`${kind} ${name} (created)`);
  }
}

export async function importDistro(backend: InventoryBackend, options: ImportOptions): Promise<ImportResult> {
  if (/^[a-z]+:\/\//.test(options.path)) {
    throw new BootwrightError(
      'E_INVALID',
      `Import from ${quote(options.path)} is not supported yet; give a directory or an ISO image on this host.`,
    );
  }
  const location = resolve(options.path);
  const source = await openTreeSource(location);
  try {
    const detection = await detectDistro(source, {
      signatures: await loadSignatures(userSignaturesFile(options.dataDir)),
      ...(options.arch ? { arch: options.arch } : {}),
      ...(options.breed ? { breed: options.breed } : {}),
      ...(options.osVersion ? { osVersion: options.osVersion } : {}),
    });
    const name = options.name ?? detection.name;
    const changes: string[] = [];
    const distro = (distroName: string, kernel: string, initrd: string) => ({
      kernel: `tree:${kernel}`,
      initrd: `tree:${initrd}`,
      tree_source: location,
      arch: detection.arch,
      breed: detection.breed,
      os_version: detection.osVersion,
      autoinstall_meta: { tree: options.availableAs ?? `http://@@http_server@@/cblr/links/${distroName}` },
    });
    const template = options.autoinstall ?? defaultTemplateFor(detection);
    await upsert(backend, 'distro', name, distro(name, detection.kernel, detection.initrd), {}, changes);
    await upsert(backend, 'profile', name, {}, { distro: name, autoinstall: template }, changes);
    // Red Hat trees of the Xen era carry a paravirtual kernel too: a second distro and profile boot it (koan --virt-type=xenpv).
    if (detection.xenKernel && detection.xenInitrd) {
      const xenName = `${name}-xen`;
      await upsert(
        backend,
        'distro',
        xenName,
        distro(xenName, detection.xenKernel, detection.xenInitrd),
        {},
        changes,
      );
      await upsert(
        backend,
        'profile',
        xenName,
        {},
        { distro: xenName, autoinstall: template, virt_type: 'xenpv' },
        changes,
      );
    }
    return { detection, changes };
  } finally {
    await source.close();
  }
}

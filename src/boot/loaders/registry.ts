// The boot loaders bootwright serves, in one list. The TFTP routes, the boot HTTP routes, /cblr/svc/op/ and the DHCP
// wiring ask this list and know no loader by name: adding one is a file beside this one and a line here.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BootFiles, FirmwareFamily } from '../../dhcp/policy.js';
import { grubLoader } from './grub.js';
import { ipxeLoader } from './ipxe.js';
import type { BootChain, BootLoader, ConfigTarget, LoaderBinary, MachineNames } from './loader.js';
import { pxelinuxLoader } from './pxelinux.js';

export const bootLoaders: readonly BootLoader[] = [pxelinuxLoader, grubLoader, ipxeLoader];

export function loaderNamed(name: string): BootLoader | undefined {
  return bootLoaders.find((loader) => loader.name === name);
}

/** Every file of every loader, as `bootwright check` lists them. */
export const loaderBinaries: readonly LoaderBinary[] = bootLoaders.flatMap((loader) => loader.binaries);

/** The file to serve for a loader name, or undefined when it is not installed. */
export function findLoader(name: string, userDir?: string): string | undefined {
  if (userDir && existsSync(join(userDir, name))) return join(userDir, name);
  const binary = loaderBinaries.find((candidate) => candidate.name === name);
  return binary?.candidates.find((path) => existsSync(path));
}

const binaryFolders = bootLoaders.flatMap((loader) => loader.binaryFolders ?? []);

/** The loader file a TFTP path asks for: the path itself, or the name in a folder a loader looks in. */
export function loaderFileName(path: string): string {
  const folder = binaryFolders.find((candidate) => path.startsWith(candidate));
  return folder === undefined ? path : path.slice(folder.length);
}

/** The loader whose boot config a TFTP path is, and what it asks for. */
export function tftpConfigAt(path: string): { loader: BootLoader; target: ConfigTarget } | undefined {
  for (const loader of bootLoaders) {
    const target = loader.tftpConfigs?.parse(path);
    if (target) return { loader, target };
  }
  return undefined;
}

/** The loader whose scripts Cobbler's /cblr/svc/op/OPERATION serves. */
export function loaderOfServiceOperation(operation: string): BootLoader | undefined {
  return bootLoaders.find((loader) => loader.httpScripts?.serviceOperation === operation);
}

export const loaderServiceOperations: readonly string[] = bootLoaders.flatMap((loader) =>
  loader.httpScripts ? [loader.httpScripts.serviceOperation] : [],
);

/** `/cblr/svc/op/OPERATION`, or with one key and value: `/cblr/svc/op/ipxe/mac/52:54:00:00:00:09`. */
export function servicePath(operation: string, key?: 'system' | 'profile' | 'mac', value?: string): string {
  return key === undefined ? `/cblr/svc/op/${operation}` : `/cblr/svc/op/${operation}/${key}/${value}`;
}

/** The file DHCP hands each firmware family in a chain: exactly one loader answers each. */
export function dhcpBootFiles(chain: BootChain): BootFiles {
  const fileFor = (firmware: FirmwareFamily): string => {
    const files = bootLoaders.flatMap((loader) =>
      loader.dhcpBootFiles.filter((file) => file.firmware === firmware && file.chains.includes(chain)),
    );
    const [only, ...others] = files;
    if (!only || others.length > 0) {
      throw new Error(
        `In the ${chain} chain, ${files.length} boot loaders give ${firmware} firmware a boot file; exactly one must.`,
      );
    }
    return only.file;
  };
  return { bios: fileFor('bios'), uefiX64: fileFor('uefiX64'), uefiArm64: fileFor('uefiArm64') };
}

/**
 * Where a DHCP client of this user class finds its script in a chain, as a path on the HTTP server; undefined when
 * no loader is sent a script in that chain, and the client is given a boot file like any firmware.
 */
export function dhcpScriptPath(chain: BootChain, userClass: string): ((mac: string) => string) | undefined {
  const scripts = bootLoaders.find(({ httpScripts }) => {
    const wanted = httpScripts?.dhcpUserClass;
    return wanted?.userClass === userClass && wanted.chains.includes(chain);
  })?.httpScripts;
  return scripts && ((mac) => servicePath(scripts.serviceOperation, 'mac', mac));
}

/** A system as the paths of a loader name it. */
export interface NamedMachine extends MachineNames {
  name: string;
  profile: string;
}

/** A path a loader answers, and what it answers with: one of its files, the menu, or the config of a system or profile. */
export interface LoaderPath {
  path: string;
  answer: 'file' | 'menu' | 'system' | 'profile';
}

/** Every path a loader answers for one machine: its files and configs over TFTP, its configs and scripts over HTTP. */
export function loaderPaths(
  loader: BootLoader,
  machine: NamedMachine,
): { tftp: LoaderPath[]; http: LoaderPath[] } {
  const tftp: LoaderPath[] = loader.binaries.flatMap((binary) =>
    ['', ...(loader.binaryFolders ?? [])].map((folder) => ({
      path: `${folder}${binary.name}`,
      answer: 'file' as const,
    })),
  );
  for (const path of loader.tftpConfigs?.paths(machine) ?? []) {
    tftp.push({ path, answer: loader.tftpConfigs?.parse(path)?.kind === 'menu' ? 'menu' : 'system' });
  }
  const http: LoaderPath[] = [
    { path: `/api/v1/systems/${machine.name}/boot/${loader.name}`, answer: 'system' },
  ];
  const operation = loader.httpScripts?.serviceOperation;
  if (operation !== undefined) {
    http.push(
      { path: servicePath(operation, 'system', machine.name), answer: 'system' },
      { path: servicePath(operation, 'profile', machine.profile), answer: 'profile' },
      { path: servicePath(operation, 'mac', machine.mac), answer: 'system' },
      { path: servicePath(operation), answer: 'menu' },
    );
  }
  return { tftp, http };
}

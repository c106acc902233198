// What a boot loader needs to start an installer for one system or profile, computed once from the blended view
// and shared by the pxelinux, GRUB and iPXE renderers, so that all three boot the same kernel the same way.

import { BootwrightError, quote } from '../errors.js';
import type { BlendedView } from '../model/blend.js';
import { bootFileName, parseBootFile, parseHost } from '../model/values.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { serverBase } from '../templates/install-urls.js';
import { buildKernelCommandLine } from '../templates/kernel-cmdline.js';

export interface SerialConsole {
  /** 0 for ttyS0. */
  device: number;
  baud: number;
}

export interface InstallEntry {
  /** Menu label and entry name: the system or profile name. */
  label: string;
  /** Paths on this server's TFTP root, for pxelinux and GRUB over TFTP. */
  kernelPath: string;
  initrdPath: string;
  /** The same files over HTTP, for iPXE and UEFI HTTP boot (Cobbler's paths, where koan downloads them too). */
  kernelUrl: string;
  initrdUrl: string;
  /** The kernel command line without initrd=, which each loader adds its own way. */
  options: string;
  warnings: string[];
}

export type BootChoice = { kind: 'install'; entry: InstallEntry } | { kind: 'local' };

export function serialConsoleOf(view: BlendedView): SerialConsole | undefined {
  const device = String(view.serial_device ?? '');
  if (!/^\d+$/.test(device)) return undefined;
  const baud = Number(view.serial_baud_rate || 115200);
  return { device: Number(device), baud: Number.isFinite(baud) && baud > 0 ? baud : 115200 };
}

/**
 * A value that a boot loader would read as more than text (a word break, a command, a variable): the renderers
 * refuse to write the script rather than let an object's editor add commands to it (issue 16).
 */
export function unsafeBootValue(
  loader: string,
  label: string,
  value: string,
  reason: string,
): BootwrightError {
  return new BootwrightError(
    'E_TEMPLATE',
    `The ${loader} config of ${quote(label)} cannot carry ${quote(value)}: ${reason}; correct the server, kernel, initrd, kernel options or autoinstall value it comes from.`,
  );
}

/**
 * The values every loader's script is built from are checked again with the rules they were written with: a store
 * written before those rules (or by hand) may hold anything.
 */
function checked(target: AutoinstallTarget, parse: () => string): string {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof BootwrightError)) throw error;
    const kind = target.kind === 'system' ? 'System' : 'Profile';
    throw new BootwrightError(
      'E_TEMPLATE',
      `${kind} ${quote(target.name)} cannot be booted: ${error.message}`,
    );
  }
}

export function installEntry(view: BlendedView, target: AutoinstallTarget): InstallEntry {
  const distro = String(view.distro_name ?? '');
  const kernel = bootFileName(checked(target, () => parseBootFile(view.kernel, 'its kernel')));
  const initrd = bootFileName(checked(target, () => parseBootFile(view.initrd, 'its initrd')));
  checked(target, () => parseHost(view.server, 'its server'));
  const base = serverBase(view);
  const commandLine = buildKernelCommandLine(view, target);
  return {
    label: target.name,
    kernelPath: `/images/${distro}/${kernel}`,
    initrdPath: `/images/${distro}/${initrd}`,
    kernelUrl: `${base}/cobbler/images/${encodeURIComponent(distro)}/${encodeURIComponent(kernel)}`,
    initrdUrl: `${base}/cobbler/images/${encodeURIComponent(distro)}/${encodeURIComponent(initrd)}`,
    options: commandLine.options,
    warnings: commandLine.warnings,
  };
}

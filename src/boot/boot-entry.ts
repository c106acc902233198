// What a boot loader needs to start an installer for one system or profile, computed once from the blended view
// and shared by the pxelinux, GRUB and iPXE renderers, so that all three boot the same kernel the same way.

import { BootwrightError, quote } from '../errors.js';
import type { BlendedView } from '../model/blend.js';
import type { KvDict } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
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
  /** Absent for an image booted as a kernel by itself (image_type direct). */
  initrdPath?: string;
  /** The same files over HTTP, for iPXE and UEFI HTTP boot (Cobbler's paths, where koan downloads them too). */
  kernelUrl: string;
  initrdUrl?: string;
  /** Set for an image's entry: a BIOS-only boot (memdisk) that GRUB, a UEFI loader, leaves out. */
  biosOnly?: boolean;
  /** The kernel command line without initrd=, which each loader adds its own way. */
  options: string;
  warnings: string[];
}

/** A menu object as the boot menus show it: its own submenus first, then its profiles and images (tftpgen's order). */
export interface BootSubmenu {
  name: string;
  /** The menu's display_name, or its name. */
  label: string;
  entries: InstallEntry[];
  submenus: BootSubmenu[];
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
function checked(target: { kind: string; name: string }, parse: () => string): string {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof BootwrightError)) throw error;
    const kind = `${target.kind.charAt(0).toUpperCase()}${target.kind.slice(1)}`;
    throw new BootwrightError(
      'E_TEMPLATE',
      `${kind} ${quote(target.name)} cannot be booted: ${error.message}`,
    );
  }
}

/** Where an image's file is served over TFTP, as Cobbler links it into its TFTP root (tftpgen: images2/NAME). */
export function imageTftpPath(name: string): string {
  return `/images2/${name}`;
}

/**
 * The boot entry of an image, as Cobbler's tftpgen builds it: `direct` boots the file as a kernel, `memdisk`
 * loads it as a disk through syslinux's memdisk. Undefined for `iso` and `virt-clone`, which Cobbler does not
 * network-boot (they are koan's), and for an image whose file is not on this server. iPXE fetches both over TFTP.
 */
export function imageEntry(view: BlendedView, label: string): InstallEntry | undefined {
  const name = String(view.image_name ?? '');
  const type = String(view.image_type ?? '');
  if (!name || (type !== 'direct' && type !== 'memdisk') || !String(view.file ?? '').startsWith('/'))
    return undefined;
  const imagePath = imageTftpPath(name);
  const tftp = `tftp://${checked({ kind: 'image', name }, () => parseHost(view.next_server ?? view.server, 'its next_server'))}`;
  const options = kvToString((view.kernel_options ?? {}) as KvDict);
  return type === 'memdisk'
    ? {
        label,
        kernelPath: '/memdisk',
        initrdPath: imagePath,
        kernelUrl: `${tftp}/memdisk`,
        initrdUrl: `${tftp}${imagePath}`,
        options,
        warnings: [],
        biosOnly: true,
      }
    : { label, kernelPath: imagePath, kernelUrl: `${tftp}${imagePath}`, options, warnings: [] };
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

// What a boot loader is to bootwright, in one declaration: the files it is made of and where the distribution puts
// them, the paths it asks for over TFTP and HTTP, what DHCP hands which firmware, and how its configs are written.
// The TFTP routes, the boot HTTP routes, /cblr/svc/op/ and the DHCP wiring read these through the registry.

import type { FirmwareFamily } from '../../dhcp/policy.js';
import type { BootChoice, BootSubmenu, InstallEntry, SerialConsole } from '../boot-entry.js';

/**
 * One file of a loader. Boot loaders are not shipped by bootwright: they come from the distribution's packages,
 * found where Debian (and Fedora) install them. An operator's own copy in <data dir>/loaders/ wins. `bootwright
 * check` says what is missing and which package provides it.
 */
export interface LoaderBinary {
  /** The name clients ask for over TFTP (and that DHCP hands out). */
  name: string;
  /** Which machines need it. */
  purpose: string;
  /** Where distributions install it, Debian's first; the first that exists is served. */
  candidates: readonly string[];
  debianPackage: string;
  /** Set when Debian builds the package for this one architecture only (dpkg's name: arm64, amd64). */
  debianArchitecture?: string;
}

/**
 * The two boot chains Cobbler knows, chosen by the dhcp_boot_loader setting. `ipxe` chainloads iPXE from the ROM
 * (undionly.kpxe, ipxe.efi), which then asks again and is sent its HTTP script; `pxelinux` is Cobbler's default
 * pxelinux/GRUB chain.
 */
export type BootChain = 'pxelinux' | 'ipxe';

export const bootChains: readonly BootChain[] = ['pxelinux', 'ipxe'];

/** A boot file DHCP hands out. */
export interface DhcpBootFile {
  /**
   * The firmware it is for, by RFC 4578 option 93 client architecture as the DHCP policy groups the types: `bios`
   * is type 0; `uefiX64` types 6, 7 and 9 (and 15, 16 for UEFI HTTP boot); `uefiArm64` type 11 (and 19).
   */
  firmware: FirmwareFamily;
  /** One of the loader's binaries. */
  file: string;
  chains: readonly BootChain[];
}

/** What a boot config path asks for: the menu of profiles, or the config of the machine with this MAC or address. */
export type ConfigTarget = { kind: 'menu' } | { kind: 'mac'; mac: string } | { kind: 'ip'; ip: string };

/** A machine as a loader names it in its paths. */
export interface MachineNames {
  mac: string;
  ip?: string;
}

/** Boot configs a loader reads over TFTP, rendered from the store when they are asked for. */
export interface TftpConfigs {
  /** What a TFTP path means to this loader; undefined when it is none of its configs or names no machine. */
  parse(path: string): ConfigTarget | undefined;
  /** Every config path the loader asks for, for a machine and for everyone: what the registry test fetches. */
  paths(machine: MachineNames): string[];
}

/** Scripts a loader fetches over HTTP at Cobbler's service path, /cblr/svc/op/OPERATION. */
export interface HttpScripts {
  /** Answers /cblr/svc/op/OPERATION (the menu) and .../system/NAME, .../profile/NAME, .../mac/MAC. */
  serviceOperation: string;
  /**
   * A DHCP client that says it is this loader with this user class (RFC 3004, option 77) is given its script
   * at /cblr/svc/op/OPERATION/mac/MAC as boot file, in these chains, instead of the loader binary again.
   */
  dhcpUserClass?: { userClass: string; chains: readonly BootChain[] };
}

export interface BootMenu {
  title: string;
  /** The top level: profiles and images in no menu object. */
  entries: InstallEntry[];
  /** The menu objects with no parent, each holding its own entries and submenus. */
  submenus?: BootSubmenu[];
  /** The label booted when nobody chooses (Cobbler: the profile of the system named "default"), else local. */
  timeoutLabel?: string;
}

export interface BootLoader {
  /** As in /api/v1/systems/NAME/boot/LOADER. */
  name: string;
  binaries: readonly LoaderBinary[];
  /** TFTP folders the loader also looks for files in, besides the root (`grub/`: GRUB looks beside itself). */
  binaryFolders?: readonly string[];
  tftpConfigs?: TftpConfigs;
  httpScripts?: HttpScripts;
  dhcpBootFiles: readonly DhcpBootFile[];
  /** Install when netboot is on, else boot the local disk; a loader without a serial console ignores `serial`. */
  renderSystem(choice: BootChoice, serial: SerialConsole | undefined): string;
  renderMenu(menu: BootMenu): string;
}

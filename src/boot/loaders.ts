// Boot loaders are not shipped by bootwright: they come from the distribution's packages, found where Debian (and
// Fedora) install them. An operator's own copy in <data dir>/loaders/ wins. `bootwright check` uses the same table
// to say what is missing and which package provides it.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface LoaderSpec {
  /** The name clients ask for over TFTP (and that DHCP hands out). */
  name: string;
  /** Which machines need it. */
  purpose: string;
  candidates: string[];
  debianPackage: string;
}

const syslinuxModule = (name: string): LoaderSpec => ({
  name,
  purpose: 'BIOS pxelinux menus',
  candidates: [`/usr/lib/syslinux/modules/bios/${name}`, `/usr/share/syslinux/${name}`],
  debianPackage: 'syslinux-common',
});

export const loaderSpecs: readonly LoaderSpec[] = [
  {
    name: 'pxelinux.0',
    purpose: 'BIOS PXE',
    candidates: ['/usr/lib/PXELINUX/pxelinux.0', '/usr/share/syslinux/pxelinux.0', '/tftpboot/pxelinux.0'],
    debianPackage: 'pxelinux',
  },
  syslinuxModule('ldlinux.c32'),
  syslinuxModule('menu.c32'),
  syslinuxModule('libutil.c32'),
  syslinuxModule('libcom32.c32'),
  {
    name: 'undionly.kpxe',
    purpose: 'BIOS iPXE',
    candidates: ['/usr/lib/ipxe/undionly.kpxe', '/usr/share/ipxe/undionly.kpxe'],
    debianPackage: 'ipxe',
  },
  {
    name: 'ipxe.efi',
    purpose: 'UEFI x64 iPXE',
    candidates: ['/usr/lib/ipxe/ipxe.efi', '/usr/share/ipxe/ipxe-x86_64.efi'],
    debianPackage: 'ipxe',
  },
  {
    name: 'grubx64.efi',
    purpose: 'UEFI x64 GRUB',
    candidates: ['/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed', '/boot/efi/EFI/fedora/grubx64.efi'],
    debianPackage: 'grub-efi-amd64-signed',
  },
  {
    name: 'shimx64.efi',
    purpose: 'UEFI x64 Secure Boot',
    candidates: ['/usr/lib/shim/shimx64.efi.signed', '/boot/efi/EFI/fedora/shimx64.efi'],
    debianPackage: 'shim-signed',
  },
  {
    name: 'grubaa64.efi',
    purpose: 'UEFI ARM64 GRUB',
    candidates: ['/usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed'],
    debianPackage: 'grub-efi-arm64-signed',
  },
];

/** The file to serve for a loader name, or undefined when it is not installed. */
export function findLoader(name: string, userDir?: string): string | undefined {
  if (userDir && existsSync(join(userDir, name))) return join(userDir, name);
  const spec = loaderSpecs.find((candidate) => candidate.name === name);
  return spec?.candidates.find((path) => existsSync(path));
}

// pxelinux (syslinux's PXE loader) for BIOS machines in the pxelinux chain: pxelinux.0 and the syslinux modules it
// loads, and its configs under pxelinux.cfg/, asked for by MAC, then by IP, then `default` (the menu).

import {
  ipFromPxelinuxName,
  macFromPxelinuxName,
  pxelinuxNameOfIp,
  pxelinuxNameOfMac,
  renderPxelinuxMenu,
  renderPxelinuxSystem,
} from '../pxelinux.js';
import type { BootLoader, LoaderBinary } from './loader.js';

const syslinuxModule = (name: string): LoaderBinary => ({
  name,
  purpose: 'BIOS pxelinux menus',
  candidates: [`/usr/lib/syslinux/modules/bios/${name}`, `/usr/share/syslinux/${name}`],
  debianPackage: 'syslinux-common',
});

export const pxelinuxLoader: BootLoader = {
  name: 'pxelinux',
  binaries: [
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
      // Cobbler's memdisk images boot through it (tftpgen: kernel /memdisk, initrd /images2/NAME).
      name: 'memdisk',
      purpose: 'BIOS boots of memdisk images',
      candidates: ['/usr/lib/syslinux/memdisk', '/usr/share/syslinux/memdisk'],
      debianPackage: 'syslinux-common',
    },
  ],
  tftpConfigs: {
    // Undefined for a name that is neither: pxelinux goes on to its next candidate name, as for a missing file.
    parse(path) {
      const name = /^pxelinux\.cfg\/([^/]+)$/.exec(path)?.[1];
      if (name === undefined) return undefined;
      if (name === 'default') return { kind: 'menu' };
      const mac = macFromPxelinuxName(name);
      if (mac) return { kind: 'mac', mac };
      const ip = ipFromPxelinuxName(name);
      return ip ? { kind: 'ip', ip } : undefined;
    },
    paths: ({ mac, ip }) => [
      `pxelinux.cfg/${pxelinuxNameOfMac(mac)}`,
      ...(ip ? [`pxelinux.cfg/${pxelinuxNameOfIp(ip)}`] : []),
      'pxelinux.cfg/default',
    ],
  },
  dhcpBootFiles: [{ firmware: 'bios', file: 'pxelinux.0', chains: ['pxelinux'] }],
  renderSystem: renderPxelinuxSystem,
  renderMenu: renderPxelinuxMenu,
};

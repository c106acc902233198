// iPXE in the iPXE chain: the ROM is given undionly.kpxe (BIOS) or ipxe.efi (UEFI x64); iPXE then asks DHCP again,
// says who it is with user class "iPXE", and is sent its script over HTTP at /cblr/svc/op/ipxe/mac/MAC. It
// downloads the kernel and initrd over HTTP itself, which is much faster than TFTP.

import { IPXE_USER_CLASS } from '../../dhcp/options.js';
import { renderIpxeMenu, renderIpxeSystem } from '../ipxe.js';
import type { BootLoader } from './loader.js';

export const ipxeLoader: BootLoader = {
  name: 'ipxe',
  binaries: [
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
  ],
  httpScripts: {
    serviceOperation: 'ipxe',
    dhcpUserClass: { userClass: IPXE_USER_CLASS, chains: ['ipxe'] },
  },
  dhcpBootFiles: [
    { firmware: 'bios', file: 'undionly.kpxe', chains: ['ipxe'] },
    { firmware: 'uefiX64', file: 'ipxe.efi', chains: ['ipxe'] },
  ],
  renderSystem: (choice) => renderIpxeSystem(choice),
  renderMenu: (menu) => renderIpxeMenu(menu.title, menu.entries, menu.timeoutLabel, menu.submenus),
};

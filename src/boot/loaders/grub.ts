// GRUB for UEFI machines: Debian's signed network builds for x64 (in the pxelinux chain) and ARM64 (in both
// chains), shim in front of the x64 one for Secure Boot, and its configs under grub/: `grub/grub.cfg`, the same for
// every machine, which reads the per-MAC `grub/system/<mac>`.

import { renderGrubMain, renderGrubSystem } from '../grub.js';
import type { BootLoader } from './loader.js';

export const grubLoader: BootLoader = {
  name: 'grub',
  binaries: [
    {
      name: 'grubx64.efi',
      purpose: 'UEFI x64 GRUB',
      candidates: [
        '/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed',
        '/boot/efi/EFI/fedora/grubx64.efi',
      ],
      debianPackage: 'grub-efi-amd64-signed',
    },
    {
      // Shim loads grubx64.efi from beside itself.
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
      debianArchitecture: 'arm64',
    },
  ],
  // GRUB looks for its files beside itself, under grub/, where its configs are too.
  binaryFolders: ['grub/'],
  tftpConfigs: {
    parse(path) {
      const match = /^grub\/(grub\.cfg|system\/[^/]+)$/.exec(path)?.[1];
      if (match === undefined) return undefined;
      return match === 'grub.cfg' ? { kind: 'menu' } : { kind: 'mac', mac: match.slice('system/'.length) };
    },
    // GRUB's $net_default_mac: lower case, colon-separated.
    paths: ({ mac }) => [`grub/system/${mac.toLowerCase()}`, 'grub/grub.cfg'],
  },
  dhcpBootFiles: [
    { firmware: 'uefiX64', file: 'grubx64.efi', chains: ['pxelinux'] },
    { firmware: 'uefiArm64', file: 'grubaa64.efi', chains: ['pxelinux', 'ipxe'] },
  ],
  renderSystem: renderGrubSystem,
  renderMenu: (menu) => renderGrubMain(menu.entries, menu.timeoutLabel, menu.submenus),
};

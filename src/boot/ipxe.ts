// iPXE scripts, fetched over HTTP (`/cblr/svc/op/ipxe/system/NAME`, by MAC, and the profile menu). iPXE downloads
// the kernel and initrd over HTTP itself, which is much faster than TFTP.

import type { BootChoice, InstallEntry } from './boot-entry.js';

function bootLines(entry: InstallEntry): string[] {
  const initrdName = entry.initrdUrl.split('/').pop() ?? 'initrd';
  // `initrd=<name>` lets an EFI-stub kernel find the initrd iPXE registered under that name.
  return [
    `kernel ${entry.kernelUrl} initrd=${initrdName} ${entry.options}`.trimEnd(),
    `initrd ${entry.initrdUrl}`,
    'boot',
  ];
}

// BIOS iPXE boots the first disk with sanboot; under UEFI, exiting hands over to the next boot option.
const localLines = ['iseq ${platform} efi && exit ||', 'sanboot --no-describe --drive 0x80'];

export function renderIpxeSystem(choice: BootChoice): string {
  return ['#!ipxe', ...(choice.kind === 'local' ? localLines : bootLines(choice.entry)), ''].join('\n');
}

export function renderIpxeMenu(title: string, entries: InstallEntry[], timeoutLabel?: string): string {
  const lines = ['#!ipxe', `menu ${title}`, 'item local (local)'];
  for (const entry of entries) lines.push(`item ${entry.label} ${entry.label}`);
  lines.push(
    `choose --timeout 20000 --default ${timeoutLabel ?? 'local'} target && goto \${target} || goto local`,
    '',
    ':local',
    ...localLines,
  );
  for (const entry of entries) lines.push('', `:${entry.label}`, ...bootLines(entry));
  lines.push('');
  return lines.join('\n');
}

// iPXE scripts, fetched over HTTP (`/cblr/svc/op/ipxe/system/NAME`, by MAC, and the profile menu). iPXE downloads
// the kernel and initrd over HTTP itself, which is much faster than TFTP.

import { type BootChoice, type InstallEntry, unsafeBootValue } from './boot-entry.js';

/**
 * iPXE splits a line into words at white space, ends a command at a word `||`, `&&` or `;`, starts a comment at a
 * word beginning with `#`, expands `${...}` in every word, and joins a line that ends in `\` to the next
 * (src/core/exec.c, src/image/script.c). It has no quoting, so a value that would do any of that is refused.
 */
function ipxeWord(entry: InstallEntry, word: string): string {
  const reason = /[\s\p{Cc}]/u.test(word)
    ? 'it holds white space or a control character, where iPXE ends a word or a line'
    : /[$\\]/.test(word)
      ? 'iPXE expands "$" and joins lines at "\\"'
      : ['||', '&&', ';'].includes(word) || word.startsWith('#')
        ? 'iPXE reads it as the end of a command or the start of a comment'
        : word === ''
          ? 'it is empty'
          : undefined;
  if (reason !== undefined) throw unsafeBootValue('iPXE', entry.label, word, reason);
  return word;
}

function bootLines(entry: InstallEntry): string[] {
  const word = (text: string) => ipxeWord(entry, text);
  const initrdName = entry.initrdUrl.split('/').pop() ?? 'initrd';
  const options = entry.options.split(/\s+/).filter((option) => option !== '');
  // `initrd=<name>` lets an EFI-stub kernel find the initrd iPXE registered under that name.
  return [
    ['kernel', word(entry.kernelUrl), `initrd=${word(initrdName)}`, ...options.map(word)].join(' '),
    `initrd ${word(entry.initrdUrl)}`,
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
  for (const entry of entries) {
    const label = ipxeWord(entry, entry.label);
    lines.push(`item ${label} ${label}`);
  }
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

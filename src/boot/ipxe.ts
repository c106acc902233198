// iPXE scripts, fetched over HTTP (`/cblr/svc/op/ipxe/system/NAME`, by MAC, and the profile menu). iPXE downloads
// the kernel and initrd over HTTP itself, which is much faster than TFTP.

import { type BootChoice, type BootSubmenu, type InstallEntry, unsafeBootValue } from './boot-entry.js';

/**
 * iPXE splits a line into words at white space, ends a command at a word `||`, `&&` or `;`, starts a comment at a
 * word beginning with `#`, expands `${...}` in every word, and joins a line that ends in `\` to the next
 * (src/core/exec.c, src/image/script.c). It has no quoting, so a value that would do any of that is refused.
 */
function ipxeWord(entry: { label: string }, word: string): string {
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
  const options = entry.options.split(/\s+/).filter((option) => option !== '');
  if (entry.initrdUrl === undefined)
    return [['kernel', word(entry.kernelUrl), ...options.map(word)].join(' '), 'boot'];
  const initrdName = entry.initrdUrl.split('/').pop() ?? 'initrd';
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

/** A menu's title: words iPXE joins with spaces, each checked as any other word. */
function ipxeTitle(submenu: BootSubmenu): string {
  return submenu.label
    .split(' ')
    .filter((word) => word !== '')
    .map((word) => ipxeWord(submenu, word))
    .join(' ');
}

/** A menu object's label in the script; prefixed, as a profile may bear the same name. */
const submenuLabel = (submenu: BootSubmenu) => `menu-${ipxeWord(submenu, submenu.name)}`;

/** The items of one menu level: its submenus first, then its entries (Cobbler's tftpgen order). */
function itemLines(submenus: readonly BootSubmenu[], entries: readonly InstallEntry[]): string[] {
  return [
    ...submenus.map((submenu) => `item ${submenuLabel(submenu)} ${ipxeTitle(submenu)}`),
    ...entries.map((entry) => {
      const label = ipxeWord(entry, entry.label);
      return `item ${label} ${label}`;
    }),
  ];
}

/**
 * A menu object as a menu of its own (Cobbler's ipxe_submenu.template), then its submenus; `parent` is the label
 * its last item goes back to.
 */
function submenuSection(submenu: BootSubmenu, parent: string, timeout: string): string[] {
  const label = submenuLabel(submenu);
  return [
    '',
    `:${label}`,
    `menu ${ipxeTitle(submenu)}`,
    ...itemLines(submenu.submenus, submenu.entries),
    `item --gap`,
    `item ${parent} Return to the menu above`,
    `choose --timeout ${timeout} target && goto \${target} || goto ${parent}`,
    ...submenu.submenus.flatMap((child) => submenuSection(child, label, timeout)),
  ];
}

function allEntries(submenus: readonly BootSubmenu[], entries: readonly InstallEntry[]): InstallEntry[] {
  return [...entries, ...submenus.flatMap((submenu) => allEntries(submenu.submenus, submenu.entries))];
}

export function renderIpxeMenu(
  title: string,
  entries: InstallEntry[],
  timeoutLabel?: string,
  submenus: readonly BootSubmenu[] = [],
): string {
  // `:top` only where a submenu goes back to it, so a site without menu objects gets the script it always had.
  const lines = [
    '#!ipxe',
    ...(submenus.length > 0 ? [':top'] : []),
    `menu ${title}`,
    'item local (local)',
    ...itemLines(submenus, entries),
  ];
  lines.push(
    `choose --timeout 20000 --default ${timeoutLabel ?? 'local'} target && goto \${target} || goto local`,
  );
  for (const submenu of submenus) lines.push(...submenuSection(submenu, 'top', '20000'));
  lines.push('', ':local', ...localLines);
  for (const entry of allEntries(submenus, entries)) lines.push('', `:${entry.label}`, ...bootLines(entry));
  lines.push('');
  return lines.join('\n');
}

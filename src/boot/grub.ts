// GRUB configs for UEFI network boot. `grub/grub.cfg` is the same for every machine: it sources the per-MAC file
// `grub/system/<mac>` when there is one and offers the profile menu otherwise. Entries use `linux`/`initrd`,
// not `linuxefi`, which GRUB 2.06 and later dropped (Cobbler issues #3975, #4087).

import {
  type BootChoice,
  type BootSubmenu,
  type InstallEntry,
  type SerialConsole,
  unsafeBootValue,
} from './boot-entry.js';

function quoteGrub(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Characters GRUB's lexer reads as plain text outside quotes (grub-core/script/yylex.l: everything but white space,
 * quotes, `\` and `{}|&$;<>`), less `*` and `?`, which the wildcard module may expand.
 */
const grubPlainWord = /^[A-Za-z0-9_.,:/=@%+~-]+$/;
const grubReservedWords = new Set(
  'case do done elif else esac fi for function if in select then until while'.split(' '),
);

/** Inside single quotes a line break is kept in the word, not ended on; no value needs one, so none is written. */
function grubText(label: string, text: string): string {
  if (/\p{Cc}/u.test(text)) {
    throw unsafeBootValue('GRUB', label, text, 'it holds a line break or another control character');
  }
  return text;
}

/**
 * One word of a GRUB command, single-quoted unless it is plain text: inside single quotes GRUB takes everything up
 * to the next quote as it stands, so no value can end the command, expand a variable or open a block.
 */
function grubWord(label: string, word: string): string {
  grubText(label, word);
  return grubPlainWord.test(word) && !grubReservedWords.has(word) ? word : quoteGrub(word);
}

function serialLines(serial: SerialConsole | undefined): string[] {
  if (!serial) return [];
  return [
    `serial --unit=${serial.device} --speed=${serial.baud}`,
    'terminal_input serial console',
    'terminal_output serial console',
  ];
}

function installMenuEntry(entry: InstallEntry, serial: SerialConsole | undefined): string[] {
  const word = (text: string) => grubWord(entry.label, text);
  const options = entry.options.split(/\s+/).filter((option) => option !== '');
  if (serial && !options.some((option) => option.startsWith('console='))) {
    options.push(`console=ttyS${serial.device},${serial.baud}`);
  }
  return [
    `menuentry ${quoteGrub(grubText(entry.label, entry.label))} --class gnu-linux --class os {`,
    `  echo ${quoteGrub(grubText(entry.label, `Loading ${entry.label} ...`))}`,
    ['  linux', word(entry.kernelPath), ...options.map(word)].join(' '),
    ...(entry.initrdPath === undefined ? [] : [`  initrd ${word(entry.initrdPath)}`]),
    '}',
  ];
}

// UEFI has no "boot the disk" call; leaving GRUB hands control back to the firmware's next boot option.
const localMenuEntry = ["menuentry 'Local disk' --class os {", '  exit 1', '}'];

export function renderGrubSystem(choice: BootChoice, serial?: SerialConsole): string {
  if (choice.kind === 'local') {
    return [...serialLines(serial), 'set timeout=0', "set default='Local disk'", ...localMenuEntry, ''].join(
      '\n',
    );
  }
  return [
    ...serialLines(serial),
    'set timeout=1',
    `set default=${quoteGrub(grubText(choice.entry.label, choice.entry.label))}`,
    ...installMenuEntry(choice.entry, serial),
    '',
  ].join('\n');
}

/** Entries GRUB can boot: memdisk is a BIOS program, and GRUB here is the UEFI loader. */
function grubEntries(entries: readonly InstallEntry[]): InstallEntry[] {
  return entries.filter((entry) => !entry.biosOnly);
}

/**
 * A menu object as a GRUB submenu (Cobbler's grub_submenu.template), its own submenus first; none for a menu with
 * nothing GRUB can boot, as an empty block is a syntax error to GRUB (grub-script-check says so).
 */
function grubSubmenu(submenu: BootSubmenu): string[] {
  const inner = [
    ...submenu.submenus.flatMap(grubSubmenu),
    ...grubEntries(submenu.entries).flatMap((entry) => installMenuEntry(entry, undefined)),
  ];
  if (inner.length === 0) return [];
  return [
    `submenu ${quoteGrub(grubText(submenu.name, `${submenu.name} -> [submenu]`))} --class gnu-linux --class gnu --class os {`,
    ...inner.map((line) => `\t${line}`),
    '}',
  ];
}

/** The shared grub.cfg: per-MAC file first, else the menu of profiles with local boot as the default. */
export function renderGrubMain(
  entries: InstallEntry[],
  timeoutLabel?: string,
  submenus: readonly BootSubmenu[] = [],
): string {
  const lines = [
    '# bootwright: rendered on request; per-machine configs live in $prefix/system/<mac>.',
    'set timeout=20',
    `set default=${quoteGrub(timeoutLabel ?? 'Local disk')}`,
    // Not `[ -f ... ]`: GRUB's test cannot see files over TFTP (its net fs lists no directory), so the per-MAC
    // file was never read. configfile runs it as the menu when it opens, and fails on to the profiles when it does
    // not (as MAAS and Foreman chain their per-MAC GRUB configs).
    'if [ -n "${net_default_mac}" ]; then',
    '  configfile "${prefix}/system/${net_default_mac}"',
    'fi',
    ...localMenuEntry,
  ];
  for (const submenu of submenus) lines.push(...grubSubmenu(submenu));
  for (const entry of grubEntries(entries)) lines.push(...installMenuEntry(entry, undefined));
  lines.push('');
  return lines.join('\n');
}

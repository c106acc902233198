// GRUB configs for UEFI network boot. `grub/grub.cfg` is the same for every machine: it sources the per-MAC file
// `grub/system/<mac>` when there is one and offers the profile menu otherwise. Entries use `linux`/`initrd`,
// not `linuxefi`, which GRUB 2.06 and later dropped (Cobbler issues #3975, #4087).

import type { BootChoice, InstallEntry, SerialConsole } from './boot-entry.js';

function quoteGrub(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
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
  const console =
    serial && !/(^|\s)console=/.test(entry.options) ? ` console=ttyS${serial.device},${serial.baud}` : '';
  return [
    `menuentry ${quoteGrub(entry.label)} --class gnu-linux --class os {`,
    `  echo ${quoteGrub(`Loading ${entry.label} ...`)}`,
    `  linux ${entry.kernelPath} ${entry.options}${console}`.trimEnd(),
    `  initrd ${entry.initrdPath}`,
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
    `set default=${quoteGrub(choice.entry.label)}`,
    ...installMenuEntry(choice.entry, serial),
    '',
  ].join('\n');
}

/** The shared grub.cfg: per-MAC file first, else the menu of profiles with local boot as the default. */
export function renderGrubMain(entries: InstallEntry[], timeoutLabel?: string): string {
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
  for (const entry of entries) lines.push(...installMenuEntry(entry, undefined));
  lines.push('');
  return lines.join('\n');
}

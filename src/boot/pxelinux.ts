// pxelinux configs (syslinux's PXE loader), rendered per request: `pxelinux.cfg/01-<mac>` for a known system and
// `pxelinux.cfg/default` (a menu of profiles, local boot first) for everyone else. A system with netboot off gets a
// config that boots its disk: PXE-first machines must not fall into a reinstall loop (Cobbler PR #685).

import {
  type BootChoice,
  type BootSubmenu,
  type InstallEntry,
  type SerialConsole,
  unsafeBootValue,
} from './boot-entry.js';

/**
 * pxelinux reads its config a line at a time and has no quoting at all (com32/elflink/ldlinux/readconfig.c): a line
 * break in a value would start a directive of its own, white space after a label or file name makes the rest kernel
 * arguments, and a `,` in `initrd=` names a second initrd. A value that would do any of that is refused.
 */
function pxelinuxValue(entry: { label: string }, value: string, kind: 'line' | 'word' | 'initrd'): string {
  const reason = /\p{Cc}/u.test(value)
    ? 'it holds a line break or another control character, where pxelinux starts a new directive'
    : kind !== 'line' && /\s/.test(value)
      ? 'it holds white space, after which pxelinux reads kernel arguments'
      : kind === 'initrd' && value.includes(',')
        ? 'pxelinux reads "," in initrd= as the start of a second initrd'
        : undefined;
  if (reason !== undefined) throw unsafeBootValue('pxelinux', entry.label, value, reason);
  return value;
}

function serialLines(serial: SerialConsole | undefined): string[] {
  return serial ? [`SERIAL ${serial.device} ${serial.baud}`] : [];
}

function withConsole(options: string, serial: SerialConsole | undefined): string {
  if (!serial || /(^|\s)console=/.test(options)) return options;
  return `${options} console=ttyS${serial.device},${serial.baud}`.trim();
}

function installLabel(entry: InstallEntry, serial: SerialConsole | undefined): string[] {
  const label = pxelinuxValue(entry, entry.label, 'word');
  const initrd =
    entry.initrdPath === undefined ? '' : `initrd=${pxelinuxValue(entry, entry.initrdPath, 'initrd')} `;
  return [
    `LABEL ${label}`,
    `  MENU LABEL ${label}`,
    `  KERNEL ${pxelinuxValue(entry, entry.kernelPath, 'word')}`,
    `  APPEND ${initrd}${pxelinuxValue(entry, withConsole(entry.options, serial), 'line')}`.trimEnd(),
    // IPAPPEND 2 adds BOOTIF=<mac>, so the installer uses the NIC that booted.
    '  IPAPPEND 2',
  ];
}

const localLabel = ['LABEL local', '  MENU LABEL (local)', '  LOCALBOOT -1'];

export function renderPxelinuxSystem(choice: BootChoice, serial?: SerialConsole): string {
  if (choice.kind === 'local') {
    return [
      ...serialLines(serial),
      'DEFAULT local',
      'PROMPT 0',
      'TIMEOUT 0',
      'TOTALTIMEOUT 0',
      'ONTIMEOUT local',
      ...localLabel,
      '',
    ].join('\n');
  }
  const { entry } = choice;
  const label = pxelinuxValue(entry, entry.label, 'word');
  return [
    ...serialLines(serial),
    `DEFAULT ${label}`,
    'PROMPT 0',
    'TIMEOUT 1',
    `ONTIMEOUT ${label}`,
    ...installLabel(entry, serial),
    '',
  ].join('\n');
}

export interface PxelinuxMenu {
  title: string;
  entries: InstallEntry[];
  submenus?: BootSubmenu[];
  /** The label booted when nobody chooses (Cobbler: the profile of the system named "default"), else local. */
  timeoutLabel?: string;
  serial?: SerialConsole;
}

export function renderPxelinuxMenu(menu: PxelinuxMenu): string {
  const lines = [
    ...serialLines(menu.serial),
    'UI menu.c32',
    'PROMPT 0',
    `MENU TITLE ${menu.title}`,
    'TIMEOUT 200',
    'TOTALTIMEOUT 6000',
    `ONTIMEOUT ${menu.timeoutLabel ?? 'local'}`,
    '',
    ...localLabel,
    ...(menu.timeoutLabel ? [] : ['  MENU DEFAULT']),
  ];
  lines.push(...menuItems(menu.submenus ?? [], menu.entries, menu));
  lines.push('', 'MENU END', '');
  return lines.join('\n');
}

/** Submenus first, then entries, as Cobbler's tftpgen orders a menu level. */
function menuItems(
  submenus: readonly BootSubmenu[],
  entries: readonly InstallEntry[],
  menu: PxelinuxMenu,
): string[] {
  const lines: string[] = [];
  for (const submenu of submenus) lines.push('', ...submenuBlock(submenu, menu));
  for (const entry of entries) {
    lines.push('', ...installLabel(entry, menu.serial));
    if (entry.label === menu.timeoutLabel) lines.push('  MENU DEFAULT');
  }
  return lines;
}

/**
 * A menu object as menu.c32 nests it (Cobbler's pxe_submenu.template): MENU BEGIN ... MENU END around its items,
 * indented one level, and a last entry that goes back up.
 */
function submenuBlock(submenu: BootSubmenu, menu: PxelinuxMenu): string[] {
  const name = pxelinuxValue(submenu, submenu.name, 'word');
  const label = pxelinuxValue(submenu, submenu.label, 'line');
  const inner = menuItems(submenu.submenus, submenu.entries, menu).map((line) => (line ? `\t${line}` : line));
  return [
    `MENU BEGIN ${name}`,
    `MENU TITLE ${label}`,
    `MENU LABEL ${name}`,
    ...inner,
    `LABEL return${name}`,
    `\tMENU LABEL Return to ${label} menu.`,
    '\tMENU EXIT',
    'MENU END',
  ];
}

/** `01-aa-bb-cc-dd-ee-ff` → `aa:bb:cc:dd:ee:ff`; undefined for other names (hex IPs, `default`). */
export function macFromPxelinuxName(name: string): string | undefined {
  const match = /^01-([0-9a-f]{2}(?:-[0-9a-f]{2}){5})$/i.exec(name);
  return match?.[1]?.toLowerCase().replaceAll('-', ':');
}

/** pxelinux asks for its IP in upper-case hex (C000020A for 192.0.2.10), then shorter prefixes of it. */
export function ipFromPxelinuxName(name: string): string | undefined {
  if (!/^[0-9A-F]{8}$/.test(name)) return undefined;
  return [0, 2, 4, 6].map((offset) => Number.parseInt(name.slice(offset, offset + 2), 16)).join('.');
}

/** The names pxelinux asks for first: `01-` (ARP type Ethernet) and its MAC, then its IP in upper-case hex. */
export function pxelinuxNameOfMac(mac: string): string {
  return `01-${mac.toLowerCase().replaceAll(':', '-')}`;
}

export function pxelinuxNameOfIp(ip: string): string {
  return ip
    .split('.')
    .map((byte) => Number(byte).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}

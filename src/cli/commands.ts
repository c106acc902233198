// The command tree: which words make a command and which flags each command takes. Object flags are derived
// from the field tables (field `foo_bar` -> `--foo-bar`, plus its aliases), as Cobbler derives its optparse
// options from FIELDS; the parser, `--help` and the commands all read this one table.

import { type FieldDef, type FieldType, fieldsByKind, interfaceFields } from '../model/fields.js';
import { type ObjectKind, objectKinds, pluralOf } from '../model/kinds.js';
import type { FlagSet, FlagSpec } from './args.js';

export type OptionGroup = 'global' | 'option' | 'field' | 'interface';

export interface CliOption extends FlagSpec {
  group: OptionGroup;
  help: string;
  /** What to write after `=` in help; absent for flags without a value. */
  placeholder?: string;
}

export type ObjectAction =
  | 'add'
  | 'edit'
  | 'copy'
  | 'rename'
  | 'remove'
  | 'list'
  | 'report'
  | 'find'
  | 'dumpvars'
  | 'get-autoinstall';

export interface CommandSpec {
  words: readonly string[];
  summary: string;
  options: readonly CliOption[];
  /** One word the command takes after its own (`ext-nodes FQDN`), named as help shows it. */
  operand?: string;
}

const option = (key: string, help: string, placeholder?: string, names?: string[]): CliOption => ({
  key,
  names: names ?? [key.replaceAll('_', '-')],
  takesValue: placeholder !== undefined,
  group: 'option',
  help,
  ...(placeholder === undefined ? {} : { placeholder }),
});

const global = (key: string, help: string, placeholder?: string, names?: string[]): CliOption => ({
  ...option(key, help, placeholder, names),
  group: 'global',
});

export const globalOptions: readonly CliOption[] = [
  global('data_dir', 'State directory (default: $BOOTWRIGHT_DATA_DIR or ~/.local/state/bootwright)', 'DIR'),
  global(
    'remote_server',
    'Use the running server at URL instead of the local store (default: $BOOTWRIGHT_SERVER)',
    'URL',
    ['server'],
  ),
  global(
    'token',
    'Login token for --server, needed for changes unless its URL names this host by 127.0.0.1, ::1 or localhost (default: $BOOTWRIGHT_TOKEN)',
    'TOKEN',
  ),
  global('format', 'Output format: text or json (default: text)', 'FORMAT'),
  global('help', 'Show help for the command given before it'),
];

const placeholders: Partial<Record<FieldType, string>> = {
  bool: 'BOOL',
  int: 'N',
  'disk-sizes': 'GB[,GB...]',
  dict: '"K=V ..."',
  params: '"K=V ..."',
  list: '"A B ..."',
  enum: 'CHOICE',
  ref: 'NAME',
  mac: 'MAC',
  ipv4: 'ADDRESS',
  ipv6: 'ADDRESS',
  netmask: 'MASK',
  hostname: 'NAME',
  'host-pattern': 'PATTERN',
  'image-file': 'PATH',
};

function flagName(fieldName: string): string {
  return fieldName.replaceAll('_', '-');
}

function fieldOption(field: FieldDef, group: 'field' | 'interface', forFind: boolean): CliOption {
  const choices = field.choices?.filter((choice) => choice !== '');
  const listed = choices?.every((choice) => field.help.includes(choice)) ?? true;
  const help = listed ? field.help : `${field.help} (${choices?.join(', ')})`;
  return {
    key: field.name,
    names: [flagName(field.name), ...(field.aliases ?? [])],
    takesValue: true,
    group,
    help,
    placeholder: forFind ? 'GLOB' : (placeholders[field.type] ?? 'VALUE'),
  };
}

/** The flags that set fields of a kind; for systems the interface fields too (an object field wins a clash). */
export function fieldOptions(kind: ObjectKind, forFind = false): CliOption[] {
  const objectFields = fieldsByKind[kind].filter(
    (field) => field.name !== 'name' && (forFind || !field.readOnly),
  );
  const options = objectFields.map((field) => fieldOption(field, 'field', forFind));
  if (kind === 'system') {
    const taken = new Set(objectFields.map((field) => field.name));
    for (const field of interfaceFields) {
      if (!taken.has(field.name) && (forFind || !field.readOnly))
        options.push(fieldOption(field, 'interface', forFind));
    }
  }
  return options;
}

const nameOption = option('name', 'Name of the object', 'NAME');
const newNameOption = option('newname', 'Name of the new copy or the new name', 'NAME');
const interfaceOptions = [
  option('interface', 'Interface the interface fields apply to (default: "default" or the only one)', 'NAME'),
];
const editInterfaceOptions = [
  ...interfaceOptions,
  option('delete_interface', 'Remove the interface named by --interface'),
  option('rename_interface', 'Give the interface named by --interface a new name', 'NEW'),
];

function objectActionOptions(kind: ObjectKind, action: ObjectAction): CliOption[] {
  const isSystem = kind === 'system';
  switch (action) {
    case 'add':
      return [nameOption, ...(isSystem ? interfaceOptions : []), ...fieldOptions(kind)];
    case 'edit':
      return [
        nameOption,
        option('in_place', 'Change only the given keys of dictionary fields; "~key" deletes a key'),
        ...(isSystem ? editInterfaceOptions : []),
        ...fieldOptions(kind),
      ];
    case 'copy':
      return [nameOption, newNameOption, ...fieldOptions(kind)];
    case 'rename':
      return [nameOption, newNameOption];
    case 'remove':
      return [nameOption, option('recursive', 'Also remove everything that depends on the object')];
    case 'list':
      return kind === 'distro'
        ? [option('sources', "Also print each distro's tree_source and whether it can be read")]
        : [];
    case 'report':
      return [{ ...nameOption, help: 'Report only this object' }];
    case 'find':
      return [{ ...nameOption, help: 'Name pattern', placeholder: 'GLOB' }, ...fieldOptions(kind, true)];
    case 'dumpvars':
    case 'get-autoinstall':
      return [nameOption];
  }
}

const actionSummaries: Record<ObjectAction, (kind: ObjectKind) => string> = {
  add: (kind) => `Create a ${kind}`,
  edit: (kind) => `Change fields of a ${kind}`,
  copy: (kind) => `Copy a ${kind} under --newname`,
  rename: (kind) => `Rename a ${kind} and every reference to it`,
  remove: (kind) => `Remove a ${kind} (--recursive: and what depends on it)`,
  list: (kind) => `Print the names of all ${pluralOf(kind)}`,
  report: (kind) => `Print the fields of one ${kind} (--name) or of all`,
  find: (kind) => `Print the names of ${pluralOf(kind)} whose fields match glob patterns`,
  dumpvars: (kind) => `Print the variables templates see for a ${kind}, inheritance applied`,
  'get-autoinstall': (kind) => `Print the rendered autoinstall file (kickstart, preseed, ...) of a ${kind}`,
};

export function objectActions(kind: ObjectKind): ObjectAction[] {
  const actions: ObjectAction[] = ['add', 'copy', 'edit', 'find', 'list', 'remove', 'rename', 'report'];
  return kind === 'profile' || kind === 'system' ? [...actions, 'dumpvars', 'get-autoinstall'] : actions;
}

const kindSummaries: Record<ObjectKind, string> = {
  distro: 'Kernel and initrd of an installer',
  profile: 'What to install: a distro (or parent profile) with autoinstall template and options',
  system: 'One machine: a profile (or image) plus its interfaces, MACs and addresses',
  repo: 'A package mirror used during installs',
  image: 'A bootable file (ISO, disk image) for koan or the boot menus, not a distro',
  menu: 'A submenu of the boot menus, holding profiles, images and other menus',
  mgmtclass: "A configuration-management class (kept for Cobbler's sake, not acted on)",
  package: "A package resource of a management class (kept for Cobbler's sake)",
  file: "A file resource of a management class (kept for Cobbler's sake)",
  role: 'A host name pattern that gives matching hosts puppet classes and parameters',
};

/** A koan flag: long spelling as koan writes it, plus its one-letter form where koan has one. */
const koanFlag = (key: string, short: string | undefined, help: string, placeholder?: string): CliOption => ({
  ...option(key, help, placeholder),
  ...(short ? { short } : {}),
});

/**
 * `bootwright koan`: Koan's own flags, spelled as Koan spells them (cobbler-koan.md §7.1), so that scripts written
 * for koan run unchanged; the few flags Koan lacks say so in their help.
 */
export const koanCommand: CommandSpec = {
  words: ['koan'],
  summary: 'Install a VM, or reinstall this host, from a bootwright or Cobbler server (koan)',
  options: [
    koanFlag('server', 's', 'Server host name or address (default: $COBBLER_SERVER)', 'HOST'),
    koanFlag('port', 't', 'Server port (default: https on 443, then http on 80, as koan tries)', 'PORT'),
    koanFlag('list', 'l', 'Print the names of: profiles, systems, images, distros or repos', 'WHAT'),
    koanFlag('display', 'D', 'Print what the server says about --system or --profile'),
    koanFlag('virt', 'v', 'Install a virtual machine for --system, --profile or --image'),
    koanFlag('replace_self', 'r', 'Reinstall this host at its next boot'),
    koanFlag('update_files', 'u', "Write the object's template_files to this host"),
    koanFlag('profile', 'p', 'Profile to install', 'NAME'),
    koanFlag('system', 'y', 'System to install', 'NAME'),
    koanFlag('image', 'i', 'Image to install', 'NAME'),
    koanFlag('virt_name', 'V', 'Name of the virtual machine (default: the system name)', 'NAME'),
    koanFlag(
      'virt_type',
      'T',
      "qemu, kvm, xenpv, xenfv or auto (default: the object's virt_type; auto picks from libvirt)",
      'TYPE',
    ),
    koanFlag(
      'virt_path',
      'P',
      'Disk: a directory, a file, /dev/..., an LVM group VG or VG:LV, or pool:NAME; comma-separated for several',
      'PATH',
    ),
    koanFlag('force_path', undefined, 'Overwrite a disk image that already exists'),
    koanFlag('virt_bridge', 'B', 'Bridge for the NICs (comma-separated: one per NIC)', 'BRIDGE'),
    koanFlag('nogfx', 'n', 'No graphical console (same as --graphics=none)'),
    koanFlag('graphics', 'g', 'Graphical console: vnc (default), spice or none', 'TYPE'),
    koanFlag('vm_poll', 'w', 'Wait for the install to end, then start the installed virtual machine'),
    koanFlag('virt_auto_boot', undefined, 'Start the installed virtual machine when the host boots'),
    koanFlag('virt_pxe_boot', undefined, 'Install by network boot (PXE) instead of a direct kernel boot'),
    koanFlag(
      'qemu_disk_type',
      undefined,
      'Disk bus for qemu/kvm: virtio (default), ide, scsi or sata',
      'BUS',
    ),
    koanFlag(
      'qemu_net_type',
      undefined,
      'NIC model for qemu/kvm: virtio (default), e1000, ne2k_pci, pcnet or rtl8139',
      'MODEL',
    ),
    koanFlag('qemu_machine_type', undefined, 'Machine type for qemu/kvm (default: pc)', 'TYPE'),
    koanFlag(
      'static_interface',
      'S',
      "Put this interface's static address on the installer's kernel command line",
      'IFACE',
    ),
    koanFlag(
      'kopts',
      'k',
      'Extra kernel options for the installer ("k=v k2"; they win over the server\'s)',
      'OPTS',
    ),
    koanFlag(
      'add_reinstall_entry',
      undefined,
      'With --replace-self: add a boot entry without making it the default',
    ),
    koanFlag('noreboot', undefined, 'With --virt: do not start the installed machine when the install ends'),
    koanFlag(
      'connect',
      undefined,
      'libvirt URI (default: qemu:///system, or xen:/// for Xen; koan lacks this)',
      'URI',
    ),
    koanFlag(
      'poll_interval',
      undefined,
      'With --vm-poll: seconds between checks of the install (default 5; koan lacks this)',
      'SECONDS',
    ),
    koanFlag(
      'console_log',
      undefined,
      'Copy the serial console to FILE (default /var/log/libvirt/qemu/NAME-console.log; "none": no copy)',
      'FILE',
    ),
    koanFlag(
      'cache_dir',
      undefined,
      'Where kernels and initrds are downloaded (default /var/lib/bootwright/koan; koan lacks this)',
      'DIR',
    ),
    koanFlag(
      'root',
      undefined,
      'With --replace-self or --update-files: act on the system mounted at DIR (default /; koan lacks this)',
      'DIR',
    ),
  ],
};

/** `bootwright lab ...` (src/lab/lab-commands.ts): an isolated install network with real VMs on this machine. */
const labOptions = [
  option('lab_dir', 'Directory of the lab: its data, disks, consoles (default: DATA-DIR/lab)', 'DIR'),
  option('lab_name', 'Name of the lab and its network namespace (default: bootwright-lab)', 'NAME', ['name']),
];
export const labCommands: readonly CommandSpec[] = [
  {
    words: ['lab', 'up'],
    summary:
      'Start a lab: a network namespace with its own bootwright server, DHCP included, and a test profile',
    options: [
      ...labOptions,
      option(
        'cache_dir',
        "Where the Debian packages of the lab's guest are kept (default: LAB-DIR/cache)",
        'DIR',
      ),
    ],
  },
  {
    words: ['lab', 'boot'],
    summary:
      'Boot a lab system in a VM (--pxe: QEMU network boot; --koan: koan through libvirt) and follow it',
    options: [
      ...labOptions,
      option('system', 'The system to boot (add it to the lab data directory first)', 'NAME'),
      option('pxe', 'Network-boot QEMU with the MAC of the system, then its disk'),
      option('koan', 'Install with "bootwright koan --virt --vm-poll" into a private libvirtd of the lab'),
      option('first_boot', "With --koan: also wait until the installed VM's first boot powers off"),
      option('timeout', 'Give up after this many seconds (default 600)', 'SECONDS'),
    ],
  },
  {
    words: ['lab', 'status'],
    summary: 'Print whether the lab runs, its processes and guests, and its installs',
    options: labOptions,
  },
  {
    words: ['lab', 'down'],
    summary: 'Stop the lab: guests, libvirtd, server, namespace; its data stays unless --purge',
    options: [...labOptions, option('purge', 'Also remove the lab directory')],
  },
];

/** Cobbler's power verbs on systems (src/power/), and a reinstall. */
const powerSystemOption = option('name', 'The system, or a glob (vm*) for every system it matches', 'NAME');
export const powerCommands: readonly CommandSpec[] = [
  {
    words: ['system', 'poweron'],
    summary: 'Power a system on through its power driver',
    options: [powerSystemOption],
  },
  {
    words: ['system', 'poweroff'],
    summary: 'Power a system off (hard, as a power button held down)',
    options: [powerSystemOption],
  },
  {
    words: ['system', 'reboot'],
    summary: 'Restart a system through its power driver',
    options: [powerSystemOption],
  },
  {
    words: ['system', 'powerstatus'],
    summary: 'Print whether a system is on or off, as its BMC says',
    options: [powerSystemOption],
  },
  {
    words: ['system', 'reinstall'],
    summary: 'Netboot on, network boot once where the driver can, restart: the system installs again',
    options: [powerSystemOption],
  },
];

/** `bootwright bmc` (src/bmc/): a virtual BMC speaking Redfish for the libvirt domains of this host. */
export const bmcCommand: CommandSpec = {
  words: ['bmc'],
  summary: 'A virtual BMC (Redfish) for the libvirt domains of this host: power, network boot',
  options: [
    option('port', 'HTTPS port (default 8443)', 'N'),
    option('listen', 'Address to listen on (default: all)', 'ADDRESS'),
    option('connect', 'libvirt URI of the domains (default qemu:///system)', 'URI'),
    option('domains', 'Serve only the domains whose names match this glob (default: all)', 'GLOB'),
    option(
      'tls_cert',
      'PEM certificate (default: a self-signed one made on first start, DATA-DIR/bmc-tls.pem)',
      'FILE',
    ),
    option('tls_key', 'PEM private key of that certificate (default: DATA-DIR/bmc-tls.key)', 'FILE'),
  ],
};

/** Every command with its own flags, in help order; `serve` parses its own flags. */
export const commands: readonly CommandSpec[] = [
  ...objectKinds.flatMap((kind) =>
    objectActions(kind).map((action) => ({
      words: [kind, action],
      summary: actionSummaries[action](kind),
      options: objectActionOptions(kind, action),
    })),
  ),
  {
    words: ['setting', 'report'],
    summary: 'Print the settings (or one, --name)',
    options: [option('name', 'Report only this setting', 'NAME')],
  },
  {
    words: ['setting', 'edit'],
    summary: 'Change a setting',
    options: [option('name', 'Setting name', 'NAME'), option('value', 'New value', 'VALUE')],
  },
  {
    words: ['setting', 'reset'],
    summary: 'Put a setting back to its default',
    options: [option('name', 'Setting name', 'NAME')],
  },
  {
    words: ['user', 'add'],
    summary: 'Add a user, or set the password of one (edits the users file in the data directory)',
    options: [
      option('name', 'User name', 'NAME'),
      option(
        'password',
        'Password (default: read from standard input when it is not a terminal)',
        'PASSWORD',
      ),
      option('role', 'admin or readonly (default: admin, or the role the user has)', 'ROLE'),
    ],
  },
  { words: ['user', 'remove'], summary: 'Remove a user', options: [option('name', 'User name', 'NAME')] },
  { words: ['user', 'list'], summary: 'Print the users and their roles', options: [] },
  ...(['template', 'snippet'] as const).flatMap((what) => [
    { words: [what, 'list'], summary: `Print the ${what}s (built-in and your own)`, options: [] },
    { words: [what, 'show'], summary: `Print a ${what}`, options: [option('name', `${what} name`, 'NAME')] },
    {
      words: [what, 'edit'],
      summary: `Write your own ${what} (from --file, standard input, or $EDITOR on a terminal)`,
      options: [
        option('name', `${what} name`, 'NAME'),
        option('file', 'Read the new text from this file', 'PATH'),
      ],
    },
    {
      words: [what, 'remove'],
      summary: `Remove your own ${what} (a built-in one of the same name shows again)`,
      options: [option('name', `${what} name`, 'NAME')],
    },
  ]),
  // The puppet external node classifier (src/cli/enc-commands.ts). Both take the host name as a plain word,
  // because puppet's exec node terminus runs `<external_nodes> <certname>`.
  {
    words: ['ext-nodes'],
    summary: "Print a host's classes, parameters and environment as YAML for puppet's exec ENC",
    options: [],
    operand: 'FQDN',
  },
  {
    words: ['role', 'test'],
    summary: 'Show which role rules match a host name and why, and what the host gets',
    options: [],
    operand: 'FQDN',
  },
  {
    words: ['validate-autoinstalls'],
    summary: 'Render every profile and system and report each template error with its location',
    options: [],
  },
  // The install timeline (src/cli/status-commands.ts) and the server's self-check (src/boot/check.ts).
  {
    words: ['status'],
    summary: "Print each install (ip, target, start, state), or one system's steps with --system",
    options: [
      option('system', "Print this system's latest install step by step", 'NAME'),
      option('logs', 'With --system: also the tail of the logs its installer uploaded'),
      option('stall_minutes', 'An install with no report for this long is stalled (default 100)', 'N'),
    ],
  },
  {
    words: ['watch'],
    summary: 'Follow install events live (a redrawn view on a terminal, plain lines otherwise)',
    options: [
      option('system', 'Only this system', 'NAME'),
      option('timeout', 'Stop after this many seconds (default: until interrupted)', 'SECONDS'),
    ],
  },
  {
    words: ['import'],
    summary: 'Make a distro and a profile from an ISO image or a tree, read in place',
    options: [
      option('path', 'ISO image or directory of an installation tree', 'PATH'),
      option('name', 'Distro and profile name (default: from the tree, e.g. rhel-9.4-x86_64)', 'NAME'),
      option('arch', 'Architecture, when the tree does not say or holds several', 'ARCH'),
      option('breed', 'Distribution family (redhat, debian, ubuntu, suse)', 'BREED'),
      option('os_version', 'OS version, e.g. rhel9, bookworm', 'VERSION'),
      option('available_as', 'Where installers reach the tree instead of this server, e.g. nfs://...', 'URL'),
      option('autoinstall', "The profile's template (default: the breed's built-in one)", 'TEMPLATE'),
      option('mirror', 'Copy the tree into the data directory instead of serving it from PATH'),
    ],
  },
  // Moving from Cobbler (src/migrate/, src/cli/migrate-commands.ts).
  {
    words: ['import-cobbler'],
    summary: "Carry a Cobbler 3.x site's objects, settings and templates over from its files",
    options: [
      option('path', "Cobbler's state directory, holding collections/, templates/ and snippets/", 'DIR'),
      option('settings', "Cobbler's settings.yaml (default: /etc/cobbler/settings.yaml beside DIR)", 'PATH'),
      option('dry_run', 'Print what would be done, and change nothing'),
      option('overwrite', 'Replace objects, settings and files that differ here (default: list them)'),
    ],
  },
  {
    words: ['replicate'],
    summary: 'Pull objects from a running Cobbler or bootwright over XML-RPC (cobbler replicate)',
    options: [
      option('master', 'The master: a host name, or http(s)://HOST:PORT', 'HOST'),
      option('port', "The master's port (default: https on 443, then http on 80)", 'PORT'),
      option('distros', 'Distros to bring, as glob patterns', '"GLOB ..."'),
      option('profiles', 'Profiles to bring (with their parents, distros and repos)', '"GLOB ..."'),
      option('systems', 'Systems to bring (with their profiles)', '"GLOB ..."'),
      option('repos', 'Repos to bring', '"GLOB ..."'),
      option('images', 'Images to bring', '"GLOB ..."'),
      option('sync_all', 'Bring every object of the master'),
      option('prune', 'Remove objects the master does not have (systems only with --systems)'),
      option('omit_data', 'Do not list the install trees, mirrors and templates left on the master'),
      option('dry_run', 'Print what would be done, and change nothing'),
    ],
  },
  {
    words: ['check'],
    summary: 'List what would stop installs: loaders, addresses, ports, distro files, mirrors',
    options: [],
  },
  // Package mirrors (src/mirror/): Cobbler's flags, with --name a glob where Cobbler's --only names one repo.
  {
    words: ['reposync'],
    summary: 'Mirror repos (yum, apt, wget) here, served at /cobbler/repo_mirror/NAME/',
    options: [
      option('name', 'Only the repos whose names match (a glob; also those with keep_updated off)', 'GLOB', [
        'name',
        'only',
      ]),
      option('only_new', 'Skip repos that already have a mirror'),
      option('tries', 'Tries per file before a repo fails (default 3)', 'N'),
      option('no_fail', 'Go on past a repo that fails; the command still fails at the end'),
    ],
  },
  // Cobbler's `sync` writes boot configs and DHCP/DNS files; bootwright renders them when asked for, so the
  // command only says so, and takes Cobbler's flags so that scripts calling it keep working.
  {
    words: ['sync'],
    summary: 'Nothing to do: every config is rendered when asked for (kept for Cobbler scripts)',
    options: [
      option('dhcp', "Cobbler's flag; accepted and ignored"),
      option('dns', "Cobbler's flag; accepted and ignored"),
      option('systems', "Cobbler's flag; accepted and ignored", 'NAMES'),
      option('verbose', "Cobbler's flag; accepted and ignored"),
    ],
  },
  {
    words: ['signature', 'report'],
    summary: 'List the distribution signatures import recognizes trees by',
    options: [option('name', 'Only this breed, e.g. redhat', 'BREED')],
  },
  {
    words: ['signature', 'update'],
    summary: 'Load and check the signature files again (nothing is downloaded)',
    options: [],
  },
  koanCommand,
  { words: ['list'], summary: 'Print the names of all objects, by kind', options: [] },
  { words: ['report'], summary: 'Print the fields of all objects, by kind', options: [] },
  { words: ['version'], summary: 'Print the version', options: [] },
  // Configuration for a site's own DHCP and DNS servers (src/cli/external-commands.ts). --format is the
  // command's own flag here, so it is kept apart from the global one under another key.
  {
    words: ['dhcp-config'],
    summary: 'Print a configuration for your own DHCP server: dnsmasq, ISC dhcpd or Kea',
    options: [
      option('config_format', 'Which DHCP server: dnsmasq, isc or kea', 'dnsmasq|isc|kea', ['format']),
    ],
  },
  {
    words: ['dns-config'],
    summary: 'Print the DNS records of the systems: /etc/hosts lines, BIND zones or dnsmasq',
    options: [
      option('config_format', 'Which form: hosts, bind or dnsmasq', 'hosts|bind|dnsmasq', ['format']),
    ],
  },
  ...labCommands,
  ...powerCommands,
  bmcCommand,
];

/** Top-level words and what they are, for `bootwright --help`. */
export const topics: readonly { word: string; summary: string }[] = [
  ...objectKinds.map((kind) => ({ word: kind, summary: kindSummaries[kind] })),
  { word: 'setting', summary: 'Server-wide settings: report, edit, reset' },
  { word: 'user', summary: 'Users of the API and web clients: add, remove, list' },
  { word: 'template', summary: 'Autoinstall templates: list, show, edit, remove' },
  { word: 'snippet', summary: 'Template snippets: list, show, edit, remove' },
  { word: 'signature', summary: 'Distribution signatures that import recognizes trees by: report, update' },
  { word: 'serve', summary: 'Run the boot server (see "bootwright serve --help")' },
  {
    word: 'lab',
    summary: 'A private install network with real VMs to try bootwright: up, boot, status, down',
  },
  ...commands
    .filter((command) => command.words.length === 1)
    .map((command) => ({ word: command.words[0] as string, summary: command.summary })),
];

export function findCommand(words: readonly string[]): CommandSpec | undefined {
  return commands.find(
    (command) => command.words.length === words.length && command.words.every((word, i) => word === words[i]),
  );
}

/** The global options a command takes: all but those whose spelling a command flag already has (`--server`). */
export function globalsBeside(options: readonly CliOption[]): CliOption[] {
  const taken = new Set(options.flatMap((candidate) => candidate.names));
  return globalOptions.filter((global) => !global.names.some((name) => taken.has(name)));
}

/** The flags after the given words: the command's own and the global ones; only globals until a command is whole. */
export function flagSetFor(words: readonly string[]): FlagSet {
  if (words[0] === 'serve') return { command: 'bootwright serve', flags: [], passThrough: true };
  const command = findCommand(words.slice(0, 2)) ?? findCommand(words.slice(0, 1));
  const label = ['bootwright', ...(command?.words ?? words.slice(0, 1))].join(' ');
  if (!command) return { command: label, flags: globalOptions };
  return { command: label, flags: [...command.options, ...globalsBeside(command.options)] };
}

// The field tables: one place that says, for every kind, which fields exist, how their text is parsed, what a
// new object starts with, and where an inherited value comes from. Validation, the CLI's flags, `report`, the
// REST schema and the resolver are all derived from these tables, as Cobbler derives its CLI from its FIELDS.

import { INHERIT, type ObjectKind } from './kinds.js';

export type FieldType =
  | 'string'
  | 'text' // free text such as comments: anything but control characters
  | 'ref' // the name of another object
  | 'bool'
  | 'int'
  | 'disk-sizes'
  | 'dict' // "k=v k2 !k3": kernel options and friends
  | 'params' // structured parameters (YAML/JSON in Cobbler): mgmt_parameters
  | 'list'
  | 'enum'
  | 'mac'
  | 'ipv4'
  | 'ipv6'
  | 'netmask'
  | 'hostname'
  | 'host' // a server: IPv4 address or host name
  | 'boot-file' // a kernel or initrd: path, URL or tree:PATH whose file name boot loaders can carry
  | 'dhcp-tag'
  | 'ipv4-subnet'
  | 'http-url' // an http(s) URL written into installer lines (a proxy): nothing a shell or kickstart would read
  | 'password-hash' // a crypt(3) hash written into kickstart, preseed and AutoYaST lines
  | 'host-pattern' // a role rule's glob (`web*.example.org`) or /regular expression/
  | 'image-file'; // an image's location: /path/file or [user[:password]@]host:/path/file, as Cobbler takes it

export interface FieldDef {
  name: string;
  type: FieldType;
  /** What a new object holds when the field is not given; INHERIT means "ask the parent, then the settings". */
  default: unknown;
  help: string;
  /** The setting that an inherited value finally falls back to, when it differs from the field's own name. */
  setting?: string;
  refKind?: ObjectKind;
  choices?: readonly string[];
  /** Extra CLI spellings from Cobbler 2.x and Koan habits. */
  aliases?: readonly string[];
  required?: boolean;
  /** For ints with bounds beyond "at least 0": ports (1-65535) and the like. */
  range?: readonly [min: number, max: number];
  /** Shown in `report` but never written by users. */
  readOnly?: boolean;
  /**
   * For lists whose items land in kickstart network lines or DHCP options: each must be an address (IPv4 or IPv6),
   * an IPv4 address, or a DNS name; for lists of directories on this server: each must be an absolute path.
   */
  items?: 'address' | 'ipv4' | 'hostname' | 'absolute-path';
  /**
   * For dicts and text written into kernel command lines and boot loader scripts (GRUB, iPXE) and kickstart lines:
   * the characters those languages give meaning to are refused at write time.
   */
  commandLine?: boolean;
}

export const archs = [
  'i386',
  'x86_64',
  'ia64',
  'ppc',
  'ppc64',
  'ppc64le',
  'ppc64el',
  's390',
  's390x',
  'arm',
  'aarch64',
];
export const breeds = [
  'redhat',
  'debian',
  'ubuntu',
  'suse',
  'vmware',
  'freebsd',
  'xen',
  'unix',
  'windows',
  'generic',
];
export const virtTypes = ['xenpv', 'xenfv', 'qemu', 'kvm', 'vmware', 'vmwarew', 'openvz', 'auto'];
export const diskDrivers = ['raw', 'qcow', 'qcow2', 'aio', 'vmdk', 'qed', 'vdi'];
export const bootLoaders = ['pxe', 'ipxe', 'grub'];
/**
 * Cobbler 3.3's enums.ImageTypes: `direct` boots the file itself as a kernel and `memdisk` loads it as a disk image
 * through syslinux's memdisk (both network boots of physical machines); `iso` and `virt-clone` are for koan only.
 */
export const imageTypes = ['direct', 'iso', 'memdisk', 'virt-clone'];
export const systemStatuses = ['', 'development', 'testing', 'acceptance', 'production'];
export const interfaceTypes = [
  'na',
  'bond',
  'bond_slave',
  'bridge',
  'bridge_slave',
  'bonded_bridge_slave',
  'bmc',
  'infiniband',
];

/** One field definition; the tables below (and the settings table) read as rows of these. */
export const f = (
  name: string,
  type: FieldType,
  defaultValue: unknown,
  help: string,
  extra: Partial<FieldDef> = {},
): FieldDef => ({
  name,
  type,
  default: defaultValue,
  help,
  ...extra,
});

const commonFields: FieldDef[] = [
  f('comment', 'text', '', 'Free-form comment'),
  f('owners', 'list', INHERIT, 'Users who may edit this object', { setting: 'default_ownership' }),
  f('kernel_options', 'dict', {}, 'Kernel options for the installer, e.g. "console=ttyS0 !quiet"', {
    aliases: ['kopts'],
    commandLine: true,
  }),
  f('kernel_options_post', 'dict', {}, 'Kernel options for the installed system', {
    aliases: ['kopts-post'],
    commandLine: true,
  }),
  f('autoinstall_meta', 'dict', {}, 'Template variables, e.g. "tree=http://..."', { aliases: ['ksmeta'] }),
  f('mgmt_classes', 'list', [], 'Configuration-management classes (puppet roles)'),
  f('mgmt_parameters', 'params', {}, 'Configuration-management parameters (JSON object or key=value text)'),
  f('template_files', 'dict', {}, 'Templates to render for the machine: "source=destination ..."'),
  f('boot_files', 'dict', {}, 'Files to offer over TFTP: "destination=source ..."'),
  f('fetchable_files', 'dict', {}, 'Files to offer over HTTP/TFTP: "destination=source ..."'),
];

const virtBridgeField = f('virt_bridge', 'string', INHERIT, 'Bridge for virtual NICs', {
  setting: 'default_virt_bridge',
});

// A system's bridge is per interface (below), so systems take these without virt_bridge.
const virtFields: FieldDef[] = [
  f('virt_type', 'enum', INHERIT, 'Virtualization type for koan', {
    choices: virtTypes,
    setting: 'default_virt_type',
  }),
  f('virt_ram', 'int', INHERIT, 'Virtual machine RAM in MB', { setting: 'default_virt_ram' }),
  f('virt_cpus', 'int', INHERIT, 'Virtual CPU count', { setting: 'default_virt_cpus' }),
  f('virt_file_size', 'disk-sizes', INHERIT, 'Disk sizes in GB, comma-separated per disk', {
    setting: 'default_virt_file_size',
  }),
  f('virt_path', 'string', INHERIT, 'Disk location: directory, file, /dev device or volume group', {
    setting: 'default_virt_path',
  }),
  f('virt_disk_driver', 'enum', INHERIT, 'Disk image format', {
    choices: diskDrivers,
    setting: 'default_virt_disk_driver',
  }),
  f('virt_auto_boot', 'bool', INHERIT, 'Start the VM when the host boots', { setting: 'virt_auto_boot' }),
];

const bootFields: FieldDef[] = [
  f('boot_loaders', 'list', INHERIT, 'Boot loaders offered: pxe, ipxe, grub', { choices: bootLoaders }),
  f('enable_ipxe', 'bool', INHERIT, 'Boot through iPXE', { setting: 'enable_ipxe' }),
  f('server', 'host', INHERIT, 'Server address installers use (overrides the setting)', {
    setting: 'server',
  }),
  // Cobbler 3.3 names the IPv4 one next_server_v4; both spellings set the same field.
  f('next_server', 'host', INHERIT, 'TFTP server for network boot', {
    setting: 'next_server',
    aliases: ['next_server_v4'],
  }),
  f('next_server_v6', 'ipv6', INHERIT, 'TFTP server for network boot over IPv6', {
    setting: 'next_server_v6',
  }),
  f('filename', 'string', '', 'DHCP boot file name override'),
  f('proxy', 'string', INHERIT, 'HTTP proxy for the installer', { setting: 'proxy_url_int' }),
  f('redhat_management_key', 'string', INHERIT, "Registration key (overrides the distro's)", {
    setting: 'redhat_management_key',
  }),
];

export const distroFields: FieldDef[] = [
  f('name', 'string', '', 'Distro name', { required: true }),
  f('kernel', 'boot-file', '', 'Kernel: a file on this server (it must be there) or an http(s) URL', {
    required: true,
  }),
  f('initrd', 'boot-file', '', 'Initrd: a file on this server (it must be there) or an http(s) URL', {
    required: true,
  }),
  f('arch', 'enum', 'x86_64', 'Architecture', { choices: archs }),
  f('breed', 'enum', 'redhat', 'Distribution family', { choices: breeds }),
  f('os_version', 'string', '', 'OS version, e.g. rhel5, rhel9, bookworm, jammy', { commandLine: true }),
  f('boot_loaders', 'list', INHERIT, 'Boot loaders offered: pxe, ipxe, grub', { choices: bootLoaders }),
  f('remote_boot_kernel', 'string', '', 'Kernel URL fetched by the boot loader directly'),
  f('remote_boot_initrd', 'string', '', 'Initrd URL fetched by the boot loader directly'),
  f('redhat_management_key', 'string', INHERIT, 'Registration key', { setting: 'redhat_management_key' }),
  f(
    'tree_source',
    'string',
    '',
    'Install tree served at /distros/NAME/: ISO image or directory on the server; kernel/initrd "tree:PATH" name files in it',
  ),
  ...commonFields,
];

export const profileFields: FieldDef[] = [
  f('name', 'string', '', 'Profile name', { required: true }),
  f('distro', 'ref', '', 'Distro (for a top-level profile)', { refKind: 'distro' }),
  f('parent', 'ref', '', 'Parent profile (for a sub-profile)', { refKind: 'profile' }),
  f('autoinstall', 'string', INHERIT, 'Autoinstall template (kickstart, preseed, ...)', {
    aliases: ['kickstart'],
    setting: 'autoinstall',
    commandLine: true,
  }),
  f('name_servers', 'list', [], 'DNS servers', { setting: 'default_name_servers', items: 'address' }),
  f('name_servers_search', 'list', [], 'DNS search domains', {
    setting: 'default_name_servers_search',
    items: 'hostname',
  }),
  f('repos', 'list', [], 'Repos to use during installation', { refKind: 'repo' }),
  f('enable_menu', 'bool', INHERIT, 'Show in PXE menus', { setting: 'enable_menu' }),
  f('menu', 'ref', '', 'Boot menu (a menu object) this profile is listed in; empty: the top menu', {
    refKind: 'menu',
  }),
  f('dhcp_tag', 'dhcp-tag', '', 'DHCP tag'),
  ...virtFields,
  virtBridgeField,
  ...bootFields,
  ...commonFields,
];

export const systemFields: FieldDef[] = [
  f('name', 'string', '', 'System name', { required: true }),
  // Exactly one of the two, as in Cobbler: setting one clears the other.
  f('profile', 'ref', '', 'Profile (or --image)', { refKind: 'profile' }),
  f('image', 'ref', '', 'Image, for a system installed from an image rather than a profile', {
    refKind: 'image',
  }),
  f('hostname', 'hostname', '', 'Host name written to the installed system'),
  f('gateway', 'ipv4', '', 'Default gateway'),
  f('name_servers', 'list', [], 'DNS servers', { items: 'address' }),
  f('name_servers_search', 'list', [], 'DNS search domains', { items: 'hostname' }),
  f('netboot_enabled', 'bool', true, 'Install over the network at next boot', { aliases: ['netboot'] }),
  f('status', 'enum', '', 'Lifecycle (also the puppet environment)', { choices: systemStatuses }),
  f('autoinstall', 'string', INHERIT, 'Autoinstall template override', {
    aliases: ['kickstart'],
    setting: 'autoinstall',
    commandLine: true,
  }),
  ...virtFields,
  f('virt_pxe_boot', 'bool', false, 'Install the VM by PXE instead of a kernel boot'),
  f('power_type', 'string', INHERIT, 'Power management agent, e.g. ipmilanplus', {
    setting: 'power_management_default_type',
  }),
  f('power_address', 'string', '', 'Power management address'),
  f('power_user', 'string', '', 'Power management user'),
  f('power_pass', 'string', '', 'Power management password'),
  f('power_id', 'string', '', 'Power management port or plug'),
  f('power_options', 'string', '', 'Extra power agent options'),
  f('power_identity_file', 'string', '', 'SSH identity file for the power agent'),
  f('serial_device', 'string', '', 'Serial console device number, e.g. 0 for ttyS0', { commandLine: true }),
  f('serial_baud_rate', 'string', '', 'Serial console speed, e.g. 115200', { commandLine: true }),
  f('ipv6_default_device', 'string', '', 'IPv6 default device'),
  f('ipv6_autoconfiguration', 'bool', false, 'IPv6 autoconfiguration'),
  f('repos_enabled', 'bool', false, 'Keep the install repos enabled after install'),
  ...bootFields,
  ...commonFields,
];

export const repoFields: FieldDef[] = [
  f('name', 'string', '', 'Repo name', { required: true }),
  f('mirror', 'string', '', 'Mirror URL', { required: true }),
  f('mirror_type', 'enum', 'baseurl', 'Kind of mirror URL', {
    choices: ['baseurl', 'mirrorlist', 'metalink'],
  }),
  f('breed', 'enum', 'yum', 'Mirror method', { choices: ['rsync', 'rhn', 'yum', 'apt', 'wget'] }),
  f('arch', 'enum', '', 'Architecture', { choices: ['', ...archs, 'noarch', 'src'] }),
  f('os_version', 'string', '', 'OS version'),
  f('keep_updated', 'bool', true, 'Update when repos are synced'),
  f('mirror_locally', 'bool', true, 'Copy the repo to this server'),
  f('priority', 'int', 99, 'Yum priority'),
  f('rpm_list', 'list', [], 'Mirror only these packages'),
  f('createrepo_flags', 'string', '', 'Flags for createrepo'),
  f('yumopts', 'dict', {}, 'Extra yum options'),
  f('environment', 'dict', {}, 'Environment for the mirror command'),
  f('apt_components', 'list', [], 'APT components'),
  f('apt_dists', 'list', [], 'APT dists'),
  f('rsyncopts', 'dict', {}, 'Extra rsync options for rsync mirrors'),
  f('proxy', 'string', '', 'Proxy for mirroring'),
  f('comment', 'text', '', 'Free-form comment'),
  f('owners', 'list', INHERIT, 'Users who may edit this object', { setting: 'default_ownership' }),
];

// Role rules: host name patterns that give puppet classes and parameters to the machines they match
// (src/enc/classify.ts). Cobbler has no such object; its ENC only knows mgmt_classes attached by hand.
export const roleFields: FieldDef[] = [
  f('name', 'string', '', 'Role rule name', { required: true }),
  f(
    'pattern',
    'host-pattern',
    '',
    'Host names it matches: a glob (web*.example.org) or /regular expression/',
    {
      required: true,
    },
  ),
  f('priority', 'int', 100, 'Order among rules: lower first; equal priorities go by name'),
  f('classes', 'list', [], 'Puppet classes for matching hosts'),
  f('parameters', 'params', {}, 'Puppet parameters for matching hosts (JSON object or key=value text)'),
  f('environment', 'string', '', 'Puppet environment for matching hosts without a system status'),
  f('merge', 'bool', false, 'Keep matching after this rule, so later matches add classes and parameters'),
  f('comment', 'text', '', 'Free-form comment'),
];

// Cobbler 3.3's image (cobbler/items/image.py): a bootable file rather than a kernel, initrd and answer file.
// Defaults are the item's own; virt_ram, virt_file_size, virt_type, virt_bridge and owners inherit as there.
export const imageFields: FieldDef[] = [
  f('name', 'string', '', 'Image name', { required: true }),
  f('parent', 'ref', '', 'Parent image whose inherited values this one takes', { refKind: 'image' }),
  f('file', 'image-file', '', 'The image: /path/file, or host:/path/file or user@host:/path/file over NFS', {
    required: true,
  }),
  f('image_type', 'enum', 'direct', 'What the file is (direct, iso, memdisk, virt-clone)', {
    choices: imageTypes,
  }),
  f('arch', 'enum', 'x86_64', 'Architecture', { choices: archs }),
  f('breed', 'enum', '', 'Distribution family', { choices: ['', ...breeds] }),
  f('os_version', 'string', '', 'OS version, e.g. rhel9, win2k22', { commandLine: true }),
  // Not inherited from the settings as Cobbler does: its default.ks would reach koan as an answer file for an ISO.
  f('autoinstall', 'string', '', 'Answer file template koan puts beside an iso install', {
    aliases: ['kickstart'],
    commandLine: true,
  }),
  f('network_count', 'int', 0, 'Virtual NICs koan gives a VM of this image'),
  f('menu', 'ref', '', 'Boot menu (a menu object) this image is listed in; empty: the top menu', {
    refKind: 'menu',
  }),
  f('boot_loaders', 'list', INHERIT, 'Boot loaders offered: pxe, ipxe, grub', { choices: bootLoaders }),
  f('virt_auto_boot', 'bool', false, 'Start the VM when the host boots'),
  virtBridgeField,
  f('virt_cpus', 'int', 1, 'Virtual CPU count'),
  f('virt_disk_driver', 'enum', 'raw', 'Disk image format', { choices: diskDrivers }),
  f('virt_file_size', 'disk-sizes', INHERIT, 'Disk sizes in GB, comma-separated per disk', {
    setting: 'default_virt_file_size',
  }),
  f('virt_path', 'string', '', 'Disk location: directory, file, /dev device or volume group'),
  f('virt_ram', 'int', INHERIT, 'Virtual machine RAM in MB', { setting: 'default_virt_ram' }),
  f('virt_type', 'enum', INHERIT, 'Virtualization type for koan', {
    choices: virtTypes,
    setting: 'default_virt_type',
  }),
  ...commonFields,
];

const ownersField = f('owners', 'list', INHERIT, 'Users who may edit this object', {
  setting: 'default_ownership',
});

// Cobbler 3.3's menu (cobbler/items/menu.py): a submenu of the boot menus, holding profiles, images and menus.
export const menuFields: FieldDef[] = [
  f('name', 'string', '', 'Menu name', { required: true }),
  f('display_name', 'string', '', 'Title shown in the boot menu (default: the name)'),
  f('parent', 'ref', '', 'Menu this one is a submenu of; empty: the top menu', { refKind: 'menu' }),
  f('comment', 'text', '', 'Free-form comment'),
  ownersField,
];

// Cobbler 3.3's configuration-management kinds (items/mgmtclass.py, package.py, file.py and resource.py), kept
// with their fields so that a Cobbler site's objects and scripts carry over; bootwright acts on none of them.
const resourceFields: FieldDef[] = [
  f('action', 'enum', 'create', 'What to do with the resource', { choices: ['create', 'remove'] }),
  f('comment', 'text', '', 'Free-form comment'),
  ownersField,
];

export const mgmtclassFields: FieldDef[] = [
  f('name', 'string', '', 'Management class name', { required: true }),
  f('class_name', 'string', '', 'The class name in the configuration tool (default: the name)'),
  f('is_definition', 'bool', false, 'A definition rather than a class (puppet only)'),
  f('params', 'dict', {}, 'Parameters of the class: "k=v ..."'),
  f('packages', 'list', [], 'Package resources of the class'),
  f('files', 'list', [], 'File resources of the class'),
  f('comment', 'text', '', 'Free-form comment'),
  ownersField,
];

export const packageFields: FieldDef[] = [
  f('name', 'string', '', 'Package name', { required: true }),
  f('installer', 'string', '', 'Package manager, e.g. yum'),
  f('version', 'string', '', 'Package version'),
  ...resourceFields,
];

export const fileFields: FieldDef[] = [
  f('name', 'string', '', 'File resource name', { required: true }),
  f('path', 'string', '', 'Path of the file on the machine', { required: true }),
  f('owner', 'string', '', 'Owning user', { required: true }),
  f('group', 'string', '', 'Owning group', { required: true }),
  f('mode', 'string', '', 'File mode, e.g. 0644', { required: true }),
  f('template', 'string', '', 'Template the file is made from (needed unless --is-dir)'),
  f('is_dir', 'bool', false, 'The resource is a directory'),
  ...resourceFields,
];

export const interfaceFields: FieldDef[] = [
  f('mac_address', 'mac', '', 'MAC address, or "random"', { aliases: ['mac'] }),
  f('ip_address', 'ipv4', '', 'IPv4 address', { aliases: ['ip'] }),
  f('netmask', 'netmask', '', 'Netmask or prefix length'),
  f('if_gateway', 'ipv4', '', 'Gateway for this interface'),
  f('dns_name', 'hostname', '', 'Fully qualified DNS name'),
  f('cnames', 'list', [], 'DNS aliases', { items: 'hostname' }),
  f('static', 'bool', false, 'Configure the address statically'),
  f('static_routes', 'list', [], 'Static routes "net/mask:gateway"'),
  f('virt_bridge', 'string', INHERIT, 'Bridge for this NIC when virtual'),
  f('mtu', 'string', '', 'MTU'),
  f('interface_type', 'enum', 'na', 'Interface type', { choices: interfaceTypes }),
  f('interface_master', 'string', '', 'Bond or bridge this interface belongs to'),
  f('bonding_opts', 'string', '', 'Bonding options'),
  f('bridge_opts', 'string', '', 'Bridge options'),
  f('management', 'bool', false, 'Management interface'),
  f('connected_mode', 'bool', false, 'InfiniBand connected mode'),
  f('dhcp_tag', 'dhcp-tag', '', 'DHCP tag'),
  f('ipv6_address', 'ipv6', '', 'IPv6 address'),
  f('ipv6_prefix', 'string', '', 'IPv6 prefix length'),
  f('ipv6_default_gateway', 'ipv6', '', 'IPv6 gateway'),
  f('ipv6_mtu', 'string', '', 'IPv6 MTU'),
  f('ipv6_secondaries', 'list', [], 'Secondary IPv6 addresses'),
  f('ipv6_static_routes', 'list', [], 'IPv6 static routes'),
];

export const fieldsByKind: Record<ObjectKind, FieldDef[]> = {
  distro: distroFields,
  profile: profileFields,
  system: systemFields,
  repo: repoFields,
  image: imageFields,
  menu: menuFields,
  mgmtclass: mgmtclassFields,
  package: packageFields,
  file: fileFields,
  role: roleFields,
};

/** Finds a field by its name, CLI spelling (`kernel-options`) or alias (`kopts`). */
export function findField(fields: readonly FieldDef[], key: string): FieldDef | undefined {
  const name = key.replaceAll('-', '_');
  return fields.find(
    (field) => field.name === name || field.aliases?.some((alias) => alias.replaceAll('-', '_') === name),
  );
}

/** Cobbler 2.x and XML-RPC `modify_interface` spell interface fields without underscores. */
export const legacyInterfaceFieldNames: Record<string, string> = {
  macaddress: 'mac_address',
  ipaddress: 'ip_address',
  dnsname: 'dns_name',
  subnet: 'netmask',
  gateway: 'if_gateway',
  virtbridge: 'virt_bridge',
  staticroutes: 'static_routes',
  bondingopts: 'bonding_opts',
  bridgeopts: 'bridge_opts',
  interfacetype: 'interface_type',
  interfacemaster: 'interface_master',
  ipv6address: 'ipv6_address',
  ipv6prefix: 'ipv6_prefix',
  ipv6secondaries: 'ipv6_secondaries',
  ipv6mtu: 'ipv6_mtu',
  ipv6staticroutes: 'ipv6_static_routes',
  ipv6defaultgateway: 'ipv6_default_gateway',
  // Cobbler 3.3's modify_interface keys, which drop the underscores of the field names.
  dhcptag: 'dhcp_tag',
  ifgateway: 'if_gateway',
  connectedmode: 'connected_mode',
};

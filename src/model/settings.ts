// Server-wide settings: the bottom of every inheritance chain. The embedded defaults below make a fresh
// `bootwright serve` work; operators change them with `bootwright setting edit --name=N --value=V`.

import { defaultServedRoots } from '../config/served-paths.js';
import { BootwrightError, invalid, quote } from '../errors.js';
import type { FieldDef } from './fields.js';
import { diskDrivers, f, virtTypes } from './fields.js';
import type { FieldValue } from './kinds.js';
import { parseFieldValue } from './parse-field.js';

const s = f;
const port = [1, 65535] as const;

export const settingFields: FieldDef[] = [
  s('server', 'host', '127.0.0.1', 'Address installers and koan use to reach this server'),
  s('next_server', 'host', '127.0.0.1', 'TFTP server address handed out for network boot'),
  s('next_server_v6', 'ipv6', '::1', "TFTP server address over IPv6 (Cobbler 3.3's next_server_v6)"),
  s('redhat_management_key', 'string', '', 'Registration key for systems whose profile and distro name none'),
  s('http_port', 'int', 80, 'HTTP port of the API, boot files and install trees', { range: port }),
  s(
    'tls_cert',
    'string',
    '',
    'PEM certificate (chain) for the HTTPS listener of serve; with tls_key, turns HTTPS on',
  ),
  s('tls_key', 'string', '', 'PEM private key of tls_cert'),
  s('tls_port', 'int', 443, 'HTTPS port of serve when tls_cert and tls_key are set', { range: port }),
  s(
    'api_require_tls',
    'bool',
    false,
    'Refuse logins and changes over plain HTTP, so passwords and tokens travel only over HTTPS (read when serve starts)',
  ),
  s('autoinstall', 'string', 'default.ks', 'Autoinstall template for profiles that name none', {
    commandLine: true,
  }),
  s('default_virt_type', 'enum', 'xenpv', 'Virtualization type when a profile names none', {
    choices: virtTypes,
  }),
  s('default_virt_bridge', 'string', 'xenbr0', 'Bridge for virtual NICs'),
  s('default_virt_ram', 'int', 512, 'VM RAM in MB'),
  s('default_virt_cpus', 'int', 1, 'VM CPU count'),
  s('default_virt_file_size', 'disk-sizes', '5', 'VM disk size in GB'),
  s('default_virt_path', 'string', '', 'VM disk location ("" lets koan choose)'),
  s('default_virt_disk_driver', 'enum', 'raw', 'VM disk format', { choices: diskDrivers }),
  s('virt_auto_boot', 'bool', true, 'Start VMs when their host boots'),
  s('default_name_servers', 'list', [], 'DNS servers for every system', { items: 'address' }),
  s('default_name_servers_search', 'list', [], 'DNS search domains for every system', { items: 'hostname' }),
  s('default_ownership', 'list', ['admin'], 'Owners of new objects'),
  s(
    'default_password_crypted',
    'password-hash',
    '$1$mF86/UHC$WvcIcX2t6crBz2onWxyac.',
    'Root password hash for templates',
  ),
  s('kernel_options', 'dict', {}, 'Kernel options for every install', { commandLine: true }),
  s('kernel_options_post', 'dict', {}, 'Kernel options for every installed system', { commandLine: true }),
  s('autoinstall_meta', 'dict', {}, 'Template variables for every install'),
  s('mgmt_classes', 'list', [], 'Configuration-management classes for every system'),
  s(
    'mgmt_parameters',
    'params',
    { from_cobbler: true },
    'Configuration-management parameters for every system',
  ),
  s('enable_ipxe', 'bool', false, 'Boot through iPXE by default'),
  s('enable_menu', 'bool', true, 'Show profiles in PXE menus by default'),
  s('boot_loaders', 'list', ['pxe', 'ipxe', 'grub'], 'Boot loaders offered by default'),
  s('proxy_url_int', 'http-url', '', 'HTTP proxy for installers'),
  s(
    'yum_post_install_mirror',
    'bool',
    true,
    "Installed systems keep their repos' files from this server (/cblr/svc/op/yum and /op/apt)",
  ),
  s('power_management_default_type', 'string', 'ipmilanplus', 'Power agent for new systems'),
  s('pxe_just_once', 'bool', true, 'Turn netboot off when an install finishes'),
  s('nopxe_with_triggers', 'bool', true, 'Run change triggers when netboot is turned off'),
  s('run_install_triggers', 'bool', true, 'Let installers report start and finish'),
  s('allow_duplicate_macs', 'bool', false, 'Allow two systems with the same MAC'),
  s('allow_duplicate_ips', 'bool', false, 'Allow two systems with the same IP address'),
  s('allow_duplicate_hostnames', 'bool', false, 'Allow two systems with the same hostname or DNS name'),
  s('auth_token_expiration', 'int', 3600, 'Seconds a login token stays valid without use'),
  s(
    'auth_token_max_lifetime',
    'int',
    43200,
    'Seconds a login token stays valid after its login, however often it is used (read when serve starts)',
  ),
  s('puppet_auto_setup', 'bool', false, 'Install and register puppet during installs'),
  s('puppet_server', 'hostname', '', 'Puppet server name'),
  s('puppet_version', 'int', 2, 'Puppet major version'),
  s('register_new_installs', 'bool', false, 'Let installs of a profile register themselves as systems'),
  s('anamon_enabled', 'bool', false, 'Stream installer logs to the server'),
  s(
    'autoinstall_secrets',
    'bool',
    false,
    'Put a per-system secret in autoinstall URLs; kickstarts and install reports need it',
  ),
  s('tftp_port', 'int', 69, 'TFTP port of serve (0 turns TFTP off)', { range: [0, 65535] }),
  s(
    'tftp_root',
    'string',
    '',
    'Extra directory served over TFTP after boot configs, loaders and distro images',
  ),
  s('tftp_max_sessions', 'int', 1000, 'TFTP transfers serve runs at once; further requests get an ERROR'),
  s(
    'tftp_max_sessions_per_client',
    'int',
    32,
    'TFTP transfers one client address may have at once; raise it when many machines share an address (NAT)',
  ),
  s(
    'served_roots',
    'list',
    [...defaultServedRoots],
    'Directories whose files anyone may download: distro kernels, initrds and tree_source and tftp_root must be under one (the data directory and TLS key never are)',
    { items: 'absolute-path' },
  ),
  s(
    'dhcp_mode',
    'enum',
    'off',
    'Embedded DHCP: off, proxy (PXE answers beside another DHCP server), reservation (known MACs only) or full',
    {
      choices: ['off', 'proxy', 'reservation', 'full'],
    },
  ),
  s('dhcp_subnet', 'ipv4-subnet', '', 'Served subnet, e.g. 192.0.2.0/24'),
  s('dhcp_range_start', 'ipv4', '', 'First address of the dynamic pool (full mode)'),
  s('dhcp_range_end', 'ipv4', '', 'Last address of the dynamic pool (full mode)'),
  s('dhcp_router', 'ipv4', '', 'Default gateway handed out'),
  s('dhcp_dns_servers', 'list', [], 'DNS servers handed out (default: the server address)', {
    items: 'ipv4',
  }),
  s('dhcp_domain', 'hostname', '', 'Domain name handed out'),
  s('dhcp_lease_time', 'int', 3600, 'Lease time in seconds'),
  s('dhcp_boot_loader', 'enum', 'pxelinux', 'What PXE firmware loads first: pxelinux/GRUB, or iPXE', {
    choices: ['pxelinux', 'ipxe'],
  }),
  s('event_retention_days', 'int', 30, 'Days install events are kept'),
];

export type Settings = Record<string, FieldValue>;

export function findSetting(name: string): FieldDef {
  const field = settingFields.find((candidate) => candidate.name === name.replaceAll('-', '_'));
  if (!field) {
    throw new BootwrightError(
      'E_NOT_FOUND',
      `Setting ${quote(name)} does not exist; "bootwright setting report" lists the settings.`,
    );
  }
  return field;
}

export function defaultSettings(): Settings {
  return Object.fromEntries(
    settingFields.map((field) => [field.name, structuredClone(field.default) as FieldValue]),
  );
}

/** Stored overrides over the embedded defaults; an override of a setting that no longer exists is ignored. */
export function applySettingOverrides(overrides: Record<string, unknown>): Settings {
  const settings = defaultSettings();
  for (const [name, value] of Object.entries(overrides)) {
    if (name in settings) settings[name] = value as FieldValue;
  }
  return settings;
}

export function parseSettingValue(name: string, value: unknown): FieldValue {
  const field = findSetting(name);
  if (value === '<<inherit>>')
    throw invalid(`Setting ${quote(name)} cannot be "<<inherit>>": settings are the bottom.`);
  return parseFieldValue(field, value, `Setting ${quote(name)}`);
}
